"""Profiles, personal settings and the language switch."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.models import User
from tests.helpers import app_db
from tests.helpers import login_as
from tests.helpers import post_form

SETTINGS = {
    "display_name": "Asep S.",
    "email": "asep.baru@contoh.id",
    "timezone": "Asia/Makassar",
    "language": "en",
    "library_name": "Perpustakaan Desa Bontoloe",
    "village": "Bontoloe",
    "district": "Bajeng",
    "region": "gowa",
    "province": "sulawesi-selatan",
}


def test_profile_shows_contributions_but_never_the_email(
    client, make_user, make_thread, make_reply
):
    author = make_user("asep_sukamaju", display_name="Asep Saepudin")
    thread = make_thread(author, title="Motor pustaka keliling kampung")
    make_reply(make_thread(title="Utas milik anggota lain"), author)
    html = client.get("/users/asep_sukamaju").get_data(as_text=True)
    assert "Asep Saepudin" in html
    assert "Motor pustaka keliling kampung" in html
    assert "Utas milik anggota lain" in html
    assert "asep_sukamaju@contoh.id" not in html
    assert f"/threads/{thread.id}" in html


def test_profile_omits_withdrawn_contributions(app, client, make_user, make_thread):
    author = make_user("asep_sukamaju")
    make_thread(author, title="Sudah ditarik kembali", withdrawn_at=sa.func.now())
    assert "Sudah ditarik kembali" not in client.get("/users/asep_sukamaju").get_data(as_text=True)


def test_member_edits_profile_library_time_zone_and_language(app, client, make_user):
    user = make_user()
    login_as(client, user)
    response = post_form(
        client, "/settings/profile", {**SETTINGS, "email": user.email}, page="/settings/profile"
    )
    assert response.status_code == 302
    with app_db(app) as session:
        saved = session.get(User, user.id)
        assert (saved.display_name, saved.email, saved.timezone, saved.locale) == (
            "Asep S.",
            user.email,  # a new address waits for its link (tests/test_account_recovery.py)
            "Asia/Makassar",
            "en",
        )
        assert (saved.library.name, saved.library.regency) == ("Perpustakaan Desa Bontoloe", "gowa")
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "Europe/Paris"}, "timezone"),
        ({"language": "fr"}, "language"),
        ({"email": "x"}, "email"),
        ({"region": "gowa", "province": "jawa-barat"}, "region"),
        ({"display_name": ""}, "display_name"),
    ],
)
def test_invalid_settings_are_form_errors(app, client, make_user, changes, field):
    user = make_user()
    login_as(client, user)
    response = post_form(
        client, "/settings/profile", {**SETTINGS, **changes}, page="/settings/profile"
    )
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    with app_db(app) as session:
        assert session.get(User, user.id).email == user.email


def test_changing_the_email_needs_the_current_password(app, client, make_user):
    user = make_user()
    login_as(client, user)
    response = post_form(client, "/settings/profile", SETTINGS, page="/settings/profile")
    assert response.status_code == 400
    assert 'id="current_password-error"' in response.get_data(as_text=True)
    with app_db(app) as session:
        assert session.get(User, user.id).email == user.email


def test_facilitator_may_have_no_library(app, client, make_user):
    facilitator = make_user(role="facilitator", library=None)
    login_as(client, facilitator)
    settings = {
        **SETTINGS,
        "email": facilitator.email,
        "library_name": "",
        "village": "",
        "district": "",
        "region": "",
        "province": "",
    }
    response = post_form(client, "/settings/profile", settings, page="/settings/profile")
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [("id-ID,id;q=0.9,en;q=0.8", "id"), ("en-US,en;q=0.9", "en"), ("fr-FR", "id"), ("", "id")],
)
def test_language_follows_the_browser_by_default(client, accept_language, expected):
    html = client.get("/", headers={"Accept-Language": accept_language}).get_data(as_text=True)
    assert f'lang="{expected}"' in html


def test_language_switch_is_remembered_over_the_browser(client):
    response = post_form(client, "/settings/language", {"lang": "en", "next": "/threads"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/threads"
    html = client.get("/", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert 'lang="en"' in html


def test_language_switch_is_saved_in_the_profile(app, client, make_user):
    user = make_user()
    login_as(client, user)
    post_form(client, "/settings/language", {"lang": "en", "next": "//evil.example"})
    with app_db(app) as session:
        assert session.get(User, user.id).locale == "en"


def test_language_switch_rejects_unknown_languages(client):
    assert post_form(client, "/settings/language", {"lang": "xx"}).status_code == 400
