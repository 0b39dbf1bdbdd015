"""Mentions by name: typing ``@`` and a few letters offers members; a wrong name is pointed out.

``GET /mentions/suggest?q=`` answers members only, with usernames and display
names (never e-mail addresses); the preview links the names of members and
says which ``@names`` nobody has; words the site's addresses use cannot be
registered as usernames.
"""

from __future__ import annotations

import pytest

from forum.auth.service import RESERVED_USERNAMES
from forum.models import utcnow
from tests.helpers import REGISTRATION
from tests.helpers import client_for
from tests.helpers import login_as
from tests.helpers import post_form


@pytest.fixture
def members(make_user):
    return {
        "yanti": make_user("yanti_cikole", display_name="Yanti Nurhayati", email="yanti@contoh.id"),
        "nur": make_user("nurdin", display_name="Nurdin Halim"),
        "asep": make_user("asep_sukamaju", display_name="Asep Saepudin"),
    }


def suggest(client, q: str):
    response = client.get("/mentions/suggest", query_string={"q": q})
    assert response.status_code == 200, response.status_code
    return response.get_json()


def test_a_member_is_offered_by_username_or_any_word_of_their_name(app, members):
    client = client_for(app, members["asep"])
    assert suggest(client, "yan") == [
        {"username": "yanti_cikole", "display_name": "Yanti Nurhayati"}
    ]
    assert suggest(client, "@YAN") == suggest(client, "yan")
    # "nur": nurdin by username comes before Yanti *Nur*hayati by name
    assert [m["username"] for m in suggest(client, "nur")] == ["nurdin", "yanti_cikole"]
    assert suggest(client, "saep")[0]["username"] == "asep_sukamaju"


def test_suggestions_never_carry_an_email_address(app, members):
    client = client_for(app, members["asep"])
    body = client.get("/mentions/suggest?q=yanti").get_data(as_text=True)
    assert "yanti_cikole" in body
    assert "@contoh.id" not in body and "email" not in body
    assert suggest(client, "yanti@") == []  # an address is no name


@pytest.mark.parametrize("q", ["", "%", "_", "a%", "' OR 1=1 --", "x" * 500])
def test_odd_input_offers_nobody_and_never_fails(app, members, q):
    client = client_for(app, members["asep"])
    assert suggest(client, q) == []


def test_at_most_eight_members_are_offered(app, make_user):
    viewer = make_user("pustakawan_utama")
    for n in range(12):
        make_user(f"dewi_{n:02d}", display_name=f"Dewi {n}")
    assert len(suggest(client_for(app, viewer), "dewi")) == 8


def test_a_deleted_account_is_not_offered(app, members, make_user):
    make_user("yanto_lama", display_name="Yanto", deleted_at=utcnow())
    client = client_for(app, members["asep"])
    assert [m["username"] for m in suggest(client, "yant")] == ["yanti_cikole"]


def test_visitors_get_no_suggestions(app, members):
    response = client_for(app).get("/mentions/suggest?q=yan")
    assert response.status_code == 403
    assert "yanti" not in response.get_data(as_text=True)


def test_suggestions_are_rate_limited(limited_app, members):
    app = limited_app(RATELIMIT_SUGGEST="3 per minute")
    client = client_for(app, members["asep"])
    statuses = [client.get("/mentions/suggest?q=yan").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_the_preview_links_members_and_points_out_unknown_names(app, client, members):
    login_as(client, members["asep"])
    response = post_form(
        client,
        "/threads/new",
        {
            "kind": "practice",
            "title": "Pojok baca di pasar desa",
            "body": "Terima kasih @yanti_cikole dan @yanti atas bantuannya.",
            "tags": "pasar",
            "preview": "1",
        },
        page="/threads/new",
    )
    html = response.get_data(as_text=True)
    preview = html.split('id="preview-heading"', 1)[1].split("</section>", 1)[0]
    assert '<a href="/users/yanti_cikole"' in preview
    assert "@yanti</a>" not in preview
    assert "Tidak ada anggota bernama @yanti:" in html


@pytest.mark.parametrize("word", ["suggest", "pending", "new", "admin", "settings", "threads"])
def test_words_the_site_uses_cannot_be_registered(app, client, word):
    response = post_form(
        client, "/auth/register", {**REGISTRATION, "username": word}, page="/auth/register"
    )
    assert response.status_code == 400
    assert "dipakai oleh Serambi sendiri" in response.get_data(as_text=True)


def test_every_reserved_word_fits_the_username_pattern_or_is_shorter():
    """The list holds words, not patterns: lowercase, no spaces."""
    assert all(word == word.lower() and " " not in word for word in RESERVED_USERNAMES)
    assert {"suggest", "pending", "new", "me", "admin", "api", "offline", "settings"} <= (
        RESERVED_USERNAMES
    )
