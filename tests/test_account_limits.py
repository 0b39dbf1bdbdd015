"""Accounts hold (issue 14, "Privacy and accounts").

Deleted stays deleted everywhere; wrong current passwords are slowed like the
login; the profile form and registration are not free lookups of who uses which
address; a suspended member keeps the names shown on their posts.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.auth.service import AccountError
from forum.auth.service import hash_password
from forum.auth.service import set_password
from forum.models import Post
from forum.models import User
from forum.models import utcnow
from forum.moderation.models import LoginFailure
from forum.moderation.models import PasswordResetToken
from forum.moderation.service import issue_reset_link
from forum.permissions import Refused
from tests.helpers import PASSWORD
from tests.helpers import REGISTRATION
from tests.helpers import app_db
from tests.helpers import client_for
from tests.helpers import count_rows
from tests.helpers import csrf_token
from tests.helpers import post_form

ADDRESS = "192.0.2.1"


@pytest.fixture
def limits_on(limited_app):
    """Another app on the same database with request limits on (see conftest)."""
    return limited_app


def delete_account(client, password=PASSWORD):
    return post_form(
        client, "/settings/account/delete", {"password": password}, page="/settings/account/delete"
    )


def deleted_member(app, make_user, name="zaenudin"):
    member = make_user(name)
    browser = client_for(app, member)
    assert delete_account(browser).status_code == 302
    return member


# --- deleted stays deleted ---------------------------------------------------------------


def test_a_deleted_account_has_no_facilitator_page_and_gets_no_reset_link(app, make_user):
    member = deleted_member(app, make_user)
    admin = client_for(app, make_user("admin", role="admin"))
    for page in (f"/mod/users/deleted-{member.id}", f"/mod/users/{member.username}"):
        assert admin.get(page).status_code == 404
    for action in ("reset-link", "suspend", "unsuspend"):
        url = f"/mod/users/deleted-{member.id}/{action}"
        assert post_form(admin, url, page="/").status_code == 404
    assert (
        post_form(
            admin, f"/admin/users/deleted-{member.id}/role", {"role": "facilitator"}, page="/"
        ).status_code
        == 404
    )
    # The rule holds below the web pages too.
    with app.test_request_context(), app_db(app) as session:
        with pytest.raises(Refused):
            issue_reset_link(
                session.get(User, make_user("fasil", role="admin").id), session.get(User, member.id)
            )
        with pytest.raises(AccountError):
            set_password(session.get(User, member.id), "kata-sandi-baru")


def test_a_reset_link_made_before_deletion_never_brings_the_account_back(app, make_user):
    member = deleted_member(app, make_user)
    admin = make_user("admin", role="admin")
    with app_db(app) as session:  # a row that survived somehow (an old backup, a bug)
        session.add(
            PasswordResetToken(
                user_id=member.id,
                created_by_id=admin.id,
                token_hash=PasswordResetToken.digest("sisa-tautan-lama"),
                expires_at=utcnow() + timedelta(hours=1),
            )
        )
        session.commit()
    browser = client_for(app)
    assert browser.get("/auth/reset/sisa-tautan-lama").status_code == 404
    response = browser.post(
        "/auth/reset/sisa-tautan-lama",
        data={
            "password": "kata-sandi-baru",
            "confirm": "kata-sandi-baru",
            "csrf_token": csrf_token(browser, "/auth/login"),
        },
    )
    assert response.status_code == 404
    with app_db(app) as session:
        assert session.get(User, member.id).password_hash == "!deleted"


def test_a_deleted_account_never_logs_in_or_posts_even_with_a_password(app, make_user, make_thread):
    thread = make_thread()
    member = make_user("zaenudin")
    browser = client_for(app, member)  # a session from before
    with app_db(app) as session:  # deleted, and somehow a working password again
        row = session.get(User, member.id)
        row.deleted_at = utcnow()
        row.password_hash = hash_password(PASSWORD)
        session.commit()
    # The old session is over: its cookie names a deleted account.
    assert browser.get("/settings/profile").status_code == 302
    reply = post_form(
        browser,
        f"/threads/{thread.id}/replies",
        {"body": "Saya kembali!"},
        page=f"/threads/{thread.id}",
    )
    assert reply.status_code in (302, 403)
    assert count_rows(app, Post) == 1  # only the opening post
    for username in ("zaenudin", f"deleted-{member.id}"):
        with app_db(app) as session:
            session.get(User, member.id).username = username
            session.commit()
        login = post_form(
            client_for(app),
            "/auth/login",
            {"username": username, "password": PASSWORD},
            page="/auth/login",
        )
        assert login.status_code == 400


# --- wrong current passwords are slowed like the login ---------------------------------------


def try_password(browser, url, field, answer, token, **extra):
    return browser.post(
        url,
        data={**extra, field: answer, "csrf_token": token},
        environ_base={"REMOTE_ADDR": ADDRESS},
    )


@pytest.mark.parametrize(
    ("url", "field", "extra"),
    [
        (
            "/auth/password",
            "current_password",
            {"password": "kata-sandi-baru", "confirm": "kata-sandi-baru"},
        ),
        ("/settings/account/delete", "password", {}),
    ],
)
def test_wrong_current_passwords_get_the_logins_slowdown(app, make_user, url, field, extra):
    member = make_user("mira")
    browser = client_for(app)
    browser.post(
        "/auth/login",
        data={
            "username": "mira",
            "password": PASSWORD,
            "csrf_token": csrf_token(browser, "/auth/login"),
        },
        environ_base={"REMOTE_ADDR": ADDRESS},
    )
    token = csrf_token(browser, url)
    for _ in range(app.config["LOGIN_SLOWDOWN_AFTER"]):
        assert try_password(browser, url, field, "salah-terus", token, **extra).status_code == 400
    slowed = try_password(browser, url, field, PASSWORD, token, **extra)  # even the right one
    assert slowed.status_code == 429
    assert 1 <= int(slowed.headers["Retry-After"]) <= app.config["LOGIN_SLOWDOWN_SECONDS"]
    assert "Too many failed attempts for this account" in slowed.get_data(as_text=True)
    with app_db(app) as session:
        assert session.get(User, member.id).deleted_at is None  # nothing happened
        # The same count as the login's: logging in from here waits too.
        assert session.scalar(sa.select(LoginFailure.failures)) == 10
        session.execute(
            sa.update(LoginFailure).values(last_failed_at=utcnow() - timedelta(seconds=61))
        )
        session.commit()
    assert try_password(browser, url, field, PASSWORD, token, **extra).status_code == 302


# --- not a lookup of who uses which address -----------------------------------------------


def test_the_profile_form_is_limited_per_member(limits_on, make_user):
    app = limits_on(RATELIMIT_PROFILE="3 per hour")
    member = make_user(library=None)
    browser = client_for(app, member)
    token = csrf_token(browser, "/settings/profile")
    data = {
        "display_name": "Asep",
        "email": member.email,
        "timezone": "Asia/Jakarta",
        "language": "en",
        "csrf_token": token,
    }
    statuses = [browser.post("/settings/profile", data=data).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert browser.get("/settings/profile").status_code == 200  # reading is never limited


def test_registration_stops_answering_already_registered_after_its_limit(limits_on, make_user):
    app = limits_on(RATELIMIT_REGISTER="3 per hour")
    make_user("siti_lama", email="siti@contoh.id")
    browser = client_for(app)
    token = csrf_token(browser, "/auth/register")
    answers = []
    for n in range(5):
        response = browser.post(
            "/auth/register",
            data={**REGISTRATION, "username": f"siti_{n}", "csrf_token": token},
            environ_base={"REMOTE_ADDR": ADDRESS},
        )
        answers.append(
            (response.status_code, "already registered" in response.get_data(as_text=True))
        )
    assert answers[:3] == [(400, True)] * 3
    assert answers[3:] == [(429, False)] * 2


def test_forgot_password_is_limited_per_address(limits_on, make_user):
    app = limits_on(RATELIMIT_FORGOT="2 per hour", MAIL_SERVER="127.0.0.1", MAIL_PORT=9)
    browser = client_for(app)
    token = csrf_token(browser, "/auth/forgot")
    statuses = [
        browser.post(
            "/auth/forgot",
            data={"identifier": f"orang{n}", "csrf_token": token},
            environ_base={"REMOTE_ADDR": ADDRESS},
        ).status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]


# --- a suspended member keeps their names ---------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"display_name": "Nama Baru Yang Menyesatkan"}, "display_name"),
        ({"library_name": "Perpustakaan Lain"}, "library_name"),
    ],
)
def test_a_suspended_member_cannot_change_the_names_on_their_posts(app, make_user, changes, field):
    member = make_user(
        "mira",
        display_name="Mira",
        suspended_until=utcnow() + timedelta(days=3),
        suspension_reason="spam",
    )
    browser = client_for(app, member)
    profile = {
        "display_name": "Mira",
        "email": member.email,
        "timezone": "Asia/Makassar",
        "language": "en",
        "library_name": "Perpustakaan Desa Sukamaju",
        "village": "Sukamaju",
        "district": "Sukatani",
        "region": "purwakarta",
        "province": "jawa-barat",
    }
    refused = post_form(
        browser, "/settings/profile", {**profile, **changes}, page="/settings/profile"
    )
    assert refused.status_code == 400
    assert f'id="{field}-error"' in refused.get_data(as_text=True)
    assert "While your account is suspended" in refused.get_data(as_text=True)
    with app_db(app) as session:
        saved = session.get(User, member.id)
        assert (saved.display_name, saved.library.name, saved.timezone) == (
            "Mira",
            "Perpustakaan Desa Sukamaju",
            "Asia/Jakarta",
        )
    # Time zone and language stay theirs to change.
    assert (
        post_form(browser, "/settings/profile", profile, page="/settings/profile").status_code
        == 302
    )
    with app_db(app) as session:
        assert session.get(User, member.id).timezone == "Asia/Makassar"
    # Once the suspension ends, so does the rule.
    with app_db(app) as session:
        session.get(User, member.id).suspended_until = utcnow() - timedelta(seconds=1)
        session.commit()
    assert (
        post_form(
            browser, "/settings/profile", {**profile, **changes}, page="/settings/profile"
        ).status_code
        == 302
    )
