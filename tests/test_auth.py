"""Registering, logging in and out, changing a password."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.models import Library
from forum.models import User
from tests.helpers import PASSWORD
from tests.helpers import REGISTRATION
from tests.helpers import app_db
from tests.helpers import csrf_token
from tests.helpers import login_as
from tests.helpers import post_form


def register(client, **changes):
    return post_form(client, "/auth/register", {**REGISTRATION, **changes}, page="/auth/register")


def test_register_creates_member_and_library_and_logs_in(app, client):
    response = register(client)
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "Siti Aminah" in home
    with app_db(app) as session:
        user = session.scalar(sa.select(User).where(User.username == "siti_cibatu"))
        assert user.role == "librarian"
        assert user.library.name == "Perpustakaan Desa Cibatu"
        assert (user.library.regency, user.library.province) == ("purwakarta", "jawa-barat")
        assert user.password_hash != "rahasia-sekali"


def test_members_of_one_library_share_it(app, client):
    register(client)
    client2 = app.test_client()
    register(
        client2,
        username="budi_cibatu",
        email="budi@contoh.id",
        library_name="  perpustakaan desa  CIBATU ",
    )
    with app_db(app) as session:
        assert session.scalar(sa.select(sa.func.count(Library.id))) == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"username": "ab"}, "username", "3–30"),
        ({"username": "Nama Spasi"}, "username", "3–30"),
        ({"username": "a" * 31}, "username", "3–30"),
        ({"email": "bukan-email"}, "email", "e-mail"),
        ({"password": "pendek", "confirm": "pendek"}, "password", "8"),
        ({"confirm": "lain-lagi-sandi"}, "confirm", "tidak sama"),
        ({"region": "bandung-raya"}, "region", "daftar"),
        ({"region": "kota-makassar"}, "region", "provinsi"),
        ({"province": ""}, "province", "provinsi"),
        ({"library_name": ""}, "library_name", "perpustakaan"),
        ({"display_name": "x" * 81}, "display_name", "80"),
    ],
)
def test_register_rejects_invalid_input_with_message_and_keeps_text(
    app, client, changes, field, message
):
    response = register(client, **changes)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    error = html.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0]
    assert message.lower() in error.lower()
    assert "Perpustakaan Desa Cibatu" in html or field == "library_name"
    with app_db(app) as session:
        assert session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_username_is_unique_case_insensitively(app, client, make_user):
    make_user("siti_cibatu")
    response = register(client, username="SITI_Cibatu")
    assert response.status_code == 400
    assert "sudah dipakai" in response.get_data(as_text=True)


def test_registration_without_csrf_token_is_refused_and_shows_the_text(app, client):
    response = client.post("/auth/register", data=REGISTRATION)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Perpustakaan Desa Cibatu" in html  # nothing typed is lost
    assert "rahasia-sekali" not in html  # but passwords are not echoed
    with app_db(app) as session:
        assert session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_login_and_logout(client, make_user):
    user = make_user()
    login_as(client, user)
    assert user.display_name in client.get("/").get_data(as_text=True)
    response = post_form(client, "/auth/logout")
    assert response.status_code == 302
    assert user.display_name not in client.get("/").get_data(as_text=True)


def test_logout_requires_post_with_token(client, make_user):
    login_as(client, make_user())
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout").status_code == 400


@pytest.mark.parametrize("username", ["pustakawan_x", "tidak_ada"])
def test_failed_login_says_the_same_for_wrong_password_and_unknown_user(
    client, make_user, username
):
    make_user("pustakawan_x")
    response = post_form(
        client, "/auth/login", {"username": username, "password": "salah-salah"}, page="/auth/login"
    )
    assert response.status_code == 400
    assert "Nama pengguna atau kata sandi salah." in response.get_data(as_text=True)


def test_unknown_user_login_still_verifies_a_password_hash(client, monkeypatch):
    import forum.auth.service as accounts

    calls = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda h, p: calls.append(h) or real(h, p))
    post_form(client, "/auth/login", {"username": "siapa", "password": "x" * 9}, page="/auth/login")
    assert len(calls) == 1  # the dummy hash: same work as a real account


def test_login_clears_the_old_session(app, client, make_user):
    user = make_user()
    with client.session_transaction() as session:
        session["planted"] = "by-attacker"
    login_as(client, user)
    with client.session_transaction() as session:
        assert "planted" not in session


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/threads?kind=challenge", "/threads?kind=challenge"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("\\\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/ok\r\nSet-Cookie: x=1", "/"),
        ("", "/"),
    ],
)
def test_login_honours_only_a_safe_local_next(client, make_user, next_url, expected):
    user = make_user()
    response = post_form(
        client,
        "/auth/login",
        {"username": user.username, "password": PASSWORD},
        page="/auth/login",
        query_string={"next": next_url},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_remember_me_sets_a_lasting_cookie(client, make_user):
    response = login_as(client, make_user(), remember=True)
    assert any("remember_token=" in c for c in response.headers.getlist("Set-Cookie"))


def test_copied_cookie_stops_working_after_logout(app, make_user):
    user = make_user()
    client = app.test_client()
    login_as(client, user)
    stolen = client.get_cookie("session").value
    post_form(client, "/auth/logout")
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/auth/password").status_code == 302  # sent to log in


def test_change_password(app, client, make_user):
    user = make_user()
    login_as(client, user)
    response = post_form(
        client,
        "/auth/password",
        {"current_password": PASSWORD, "password": "sandi-baru-123", "confirm": "sandi-baru-123"},
        page="/auth/password",
    )
    assert response.status_code == 302
    other = app.test_client()
    login_as(other, user, password="sandi-baru-123")


def test_change_password_needs_the_current_one(client, make_user):
    login_as(client, make_user())
    response = post_form(
        client,
        "/auth/password",
        {
            "current_password": "bukan-ini",
            "password": "sandi-baru-123",
            "confirm": "sandi-baru-123",
        },
        page="/auth/password",
    )
    assert response.status_code == 400
    assert "tidak benar" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/auth/password", "/settings/profile", "/threads/new"])
def test_pages_for_members_send_visitors_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_password_change_without_token_changes_nothing(app, client, make_user):
    user = make_user()
    login_as(client, user)
    csrf_token(client)
    response = client.post(
        "/auth/password",
        data={
            "current_password": PASSWORD,
            "password": "sandi-baru-123",
            "confirm": "sandi-baru-123",
        },
    )
    assert response.status_code == 400
    login_as(app.test_client(), user)  # the old password still works
