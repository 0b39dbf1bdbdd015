"""Registration's region choice: a mismatch says where the kabupaten/kota is and keeps the form.

With JavaScript the list is narrowed to the chosen province (tests/browser); each
kabupaten/kota option says its province for that. Without it, the server refuses a
kabupaten/kota of another province, names the province it is in, and gives back every
field but the passwords.
"""

from __future__ import annotations

import re

from tests.helpers import REGISTRATION
from tests.helpers import post_form


def test_a_mismatch_names_the_province_and_keeps_every_field_but_the_passwords(app, client):
    response = post_form(
        client,
        "/auth/register",
        {**REGISTRATION, "province": "aceh", "region": "purwakarta"},
        page="/auth/register",
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    error = html.split('id="region-error"', 1)[1].split("</p>", 1)[0]
    assert "Purwakarta ada di Jawa Barat" in error
    for name in ("username", "display_name", "email", "library_name", "village", "district"):
        assert f'value="{REGISTRATION[name]}"' in html, name
    assert re.search(r'<option selected value="aceh"|<option value="aceh" selected', html)
    assert re.search(r'value="purwakarta"[^>]*selected|selected[^>]*value="purwakarta"', html)
    assert REGISTRATION["password"] not in html
    notice = html.split("Yang perlu diperbaiki:", 1)[1].split("</p>", 1)[0]
    assert '<a href="#region">Kabupaten/kota</a>' in notice
    assert "ketik lagi dua kali" in notice


def test_every_kabupaten_kota_option_says_its_province(client):
    html = client.get("/auth/register").get_data(as_text=True)
    assert 'data-narrowed-by="province"' in html
    assert re.search(
        r'data-province="jawa-barat"[^>]*value="purwakarta"|value="purwakarta"[^>]*data-province="jawa-barat"',
        html,
    )
    options = re.findall(r'<option[^>]*data-province="[^"]+"', html)
    assert len(options) > 500  # every one of them, for the narrowing script


def test_the_password_rule_is_said_before_typing(client):
    html = client.get("/auth/register").get_data(as_text=True)
    hint = html.split('id="password-hint"', 1)[1].split("</p>", 1)[0]
    assert "8 karakter" in hint
