"""Looking after members: suspensions, roles and one-time password-reset links."""

from __future__ import annotations

import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from forum.models import User
from forum.moderation.models import ModerationAction
from forum.moderation.models import PasswordResetToken
from tests.helpers import app_db
from tests.helpers import client_for
from tests.helpers import main_text
from tests.helpers import post_form
from tests.helpers import send_form

LINK_RE = re.compile(r'value="(http://localhost/auth/reset/[^"]+)"')


def member_row(app, username) -> User:
    with app_db(app) as session:
        user = session.scalar(sa.select(User).where(User.username == username))
        session.expunge(user)
        return user


def in_days(days: int, zone="Asia/Jakarta") -> str:
    return (datetime.now(ZoneInfo(zone)).date() + timedelta(days=days)).isoformat()


# --- suspensions -----------------------------------------------------------------------


def test_suspended_member_can_read_but_not_post_and_sees_why(
    app, make_user, make_thread, facilitator
):
    member = make_user("mira", display_name="Mira")
    thread = make_thread(title="Utas yang tetap bisa dibaca")
    mod = client_for(app, facilitator)
    until = in_days(7)
    response = send_form(
        mod, "/mod/users/mira/suspend", {"until": until, "reason": "Promosi berulang"}
    )
    assert response.status_code == 302
    saved = member_row(app, "mira")
    # Until the start of that day in the facilitator's time zone (WIB).
    assert saved.suspended_until == datetime.fromisoformat(until).replace(
        tzinfo=ZoneInfo("Asia/Jakarta")
    )
    assert saved.is_suspended and not saved.suspended_indefinitely

    browser = client_for(app, member)  # a suspended member can still log in
    page = main_text(browser.get(f"/threads/{thread.id}"))
    assert "Utas yang tetap bisa dibaca" in page
    assert "Promosi berulang" in page
    for url, data in [
        (f"/threads/{thread.id}/replies", {"body": "Balasan saya"}),
        ("/threads/new", {"kind": "practice", "title": "Utas baru saya", "body": "Isi"}),
        (f"/threads/{thread.id}/flag", {"reason": "spam", "details": ""}),
    ]:
        refused = send_form(browser, url, data)
        assert refused.status_code == 403, url
        assert "Your account is suspended: Promosi berulang" in main_text(refused)
    assert "Promosi berulang" in main_text(browser.get("/users/mira"))
    assert "Promosi berulang" in main_text(mod.get("/users/mira"))
    assert "Promosi berulang" not in main_text(client_for(app).get("/users/mira"))
    assert "Promosi berulang" not in main_text(client_for(app, make_user()).get("/users/mira"))


def test_a_suspension_without_a_date_lasts_until_lifted(app, make_user, facilitator):
    make_user("mira")
    mod = client_for(app, facilitator)
    send_form(mod, "/mod/users/mira/suspend", {"until": "", "reason": "Akun dibajak"})
    assert member_row(app, "mira").suspended_indefinitely
    assert send_form(mod, "/mod/users/mira/unsuspend").status_code == 302
    lifted = member_row(app, "mira")
    assert not lifted.is_suspended and lifted.suspension_reason is None
    with app_db(app) as session:
        actions = session.scalars(sa.select(ModerationAction.action).order_by(ModerationAction.id))
        assert list(actions) == ["suspend", "unsuspend"]


def test_a_suspension_ends_by_itself(app, make_user):
    member = make_user("mira", suspended_until=datetime.now(UTC) - timedelta(minutes=1))
    assert client_for(app, member).get("/threads/new").status_code == 200
    assert not member_row(app, "mira").is_suspended


INVALID_SUSPENSIONS = [
    ("besok", "Alasan"),
    ("2026-13-01", "Alasan"),
    ("20991231", "Alasan"),
    (in_days(0), "Alasan"),
    (in_days(-3), "Alasan"),
    (in_days(365 * 11), "Alasan"),
    (in_days(7), ""),
]


def test_suspension_form_errors_change_nothing(app, make_user, facilitator):
    # One arranged world, one request per invalid input (a test each would
    # spend its time building the world, on two databases).
    make_user("mira")
    mod = client_for(app, facilitator)
    for until, reason in INVALID_SUSPENSIONS:
        response = send_form(mod, "/mod/users/mira/suspend", {"until": until, "reason": reason})
        assert response.status_code == 400, (until, reason)
        assert 'name="until"' in main_text(response)
        assert not member_row(app, "mira").is_suspended


def test_admins_suspend_anyone_facilitators_only_librarians(app, make_user):
    facilitator = make_user("fani", role="facilitator")
    admin = make_user("adi", role="admin")
    make_user("dewi", role="admin")
    for actor, target, status in [(facilitator, "dewi", 403), (admin, "dewi", 302)]:
        response = send_form(
            client_for(app, actor), f"/mod/users/{target}/suspend", {"until": "", "reason": "Uji"}
        )
        assert response.status_code == status, (actor.username, target)
        assert member_row(app, target).is_suspended is (status == 302)


def test_nobody_suspends_themselves(app, make_user):
    admin = make_user("adi", role="admin")
    response = send_form(client_for(app, admin), "/mod/users/adi/suspend", {"reason": "Uji"})
    assert response.status_code == 403
    assert "You cannot do this to your own account." in main_text(response)


def test_a_suspended_facilitator_cannot_moderate(app, make_user, make_thread):
    make_user("fani", role="facilitator", suspended_indefinitely=True, suspension_reason="Cuti")
    thread = make_thread()
    browser = client_for(app, member_row(app, "fani"))
    assert send_form(browser, f"/mod/threads/{thread.id}/pin").status_code == 403


# --- roles -----------------------------------------------------------------------------


def test_admin_promotes_a_librarian_and_demotes_them_again(app, make_user):
    admin = make_user("adi", role="admin")
    make_user("mira")
    browser = client_for(app, admin)
    assert send_form(browser, "/admin/users/mira/role", {"role": "facilitator"}).status_code == 302
    assert member_row(app, "mira").role == "facilitator"
    assert send_form(browser, "/admin/users/mira/role", {"role": "librarian"}).status_code == 302
    assert member_row(app, "mira").role == "librarian"
    with app_db(app) as session:
        details = session.scalars(sa.select(ModerationAction.details).order_by(ModerationAction.id))
        assert list(details) == ["librarian → facilitator", "facilitator → librarian"]


def test_roles_that_cannot_be_given_from_the_web(app, make_user):
    admin = make_user("adi", role="admin")
    make_user("mira")
    make_user("dewi", role="admin")
    browser = client_for(app, admin)
    for target, role, status in [
        ("mira", "admin", 400),  # admins are made on the command line
        ("mira", "", 400),
        ("adi", "librarian", 403),  # not one's own role
        ("dewi", "librarian", 403),  # nor another admin's
    ]:
        response = send_form(browser, f"/admin/users/{target}/role", {"role": role})
        assert response.status_code == status, (target, role)
    assert [member_row(app, name).role for name in ("mira", "adi", "dewi")] == [
        "librarian",
        "admin",
        "admin",
    ]


# --- password-reset links --------------------------------------------------------------


def issue_link(app, facilitator, username="mira") -> str:
    response = send_form(client_for(app, facilitator), f"/mod/users/{username}/reset-link")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return LINK_RE.search(response.get_data(as_text=True)).group(1)


def test_reset_link_works_once_rotates_sessions_and_stores_only_a_hash(app, make_user, facilitator):
    member = make_user("mira")
    old_session = client_for(app, member)
    link = issue_link(app, facilitator)
    token = link.rsplit("/", 1)[1]
    with app_db(app) as session:
        stored = session.scalar(sa.select(PasswordResetToken))
        assert token not in (stored.token_hash, str(stored.id))
        assert stored.token_hash == PasswordResetToken.digest(token)

    browser = client_for(app)
    page = browser.get(link)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    response = post_form(
        browser,
        link,
        {"password": "kata-sandi-baru-1", "confirm": "kata-sandi-baru-1"},
        page=link,
    )
    assert response.status_code == 302
    assert (
        "mira" in main_text(browser.get("/users/mira"))
        and browser.get("/threads/new").status_code == 200
    )
    # The old session is logged out; the link is spent.
    assert old_session.get("/threads/new").status_code == 302
    assert client_for(app).get(link).status_code == 404
    fresh = client_for(app)
    login = post_form(
        fresh,
        "/auth/login",
        {"username": "mira", "password": "kata-sandi-baru-1"},
        page="/auth/login",
    )
    assert login.status_code == 302
    with app_db(app) as session:
        assert session.scalar(sa.select(PasswordResetToken.used_at)) is not None
        assert "reset_link" in session.scalars(sa.select(ModerationAction.action)).all()


def test_reset_link_expires_after_24_hours(app, make_user, facilitator):
    make_user("mira")
    link = issue_link(app, facilitator)
    with app_db(app) as session:
        reset = session.scalar(sa.select(PasswordResetToken))
        assert reset.expires_at - reset.created_at == timedelta(hours=24)
        reset.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        session.commit()
    response = client_for(app).get(link)
    assert response.status_code == 404
    assert "Ask your facilitator for a new one." in main_text(response)


def test_a_new_reset_link_replaces_the_old_one(app, make_user, facilitator):
    make_user("mira")
    first = issue_link(app, facilitator)
    second = issue_link(app, facilitator)
    assert client_for(app).get(first).status_code == 404
    assert client_for(app).get(second).status_code == 200


def test_reset_form_errors_keep_the_link_usable(app, make_user, facilitator):
    make_user("mira")
    link = issue_link(app, facilitator)
    browser = client_for(app)
    response = post_form(
        browser, link, {"password": "panjang-sekali", "confirm": "lain"}, page=link
    )
    assert response.status_code == 400
    assert browser.get(link).status_code == 200


def test_unknown_reset_tokens_are_not_found(client):
    for token in ["x", "a" * 43, "a" * 500]:
        assert client.get(f"/auth/reset/{token}").status_code == 404


def test_facilitators_cannot_make_links_for_facilitators_or_admins(app, make_user, facilitator):
    make_user("adi", role="admin")
    make_user("feri", role="facilitator")
    browser = client_for(app, facilitator)
    for username in ("adi", "feri", "fani"):
        assert send_form(browser, f"/mod/users/{username}/reset-link").status_code == 403
    with app_db(app) as session:
        assert session.scalar(sa.select(sa.func.count(PasswordResetToken.id))) == 0


def test_member_page_shows_the_tools_a_facilitator_may_use(app, make_user, facilitator):
    make_user("mira")
    make_user("feri", role="facilitator")
    browser = client_for(app, facilitator)
    page = main_text(browser.get("/mod/users/mira"))
    assert "/mod/users/mira/suspend" in page and "/mod/users/mira/reset-link" in page
    assert "/admin/users/mira/role" not in page
    refused = main_text(browser.get("/mod/users/feri"))
    assert "/mod/users/feri/suspend" not in refused
    assert "Facilitators can do this for librarians only" in refused
    assert browser.get("/mod/users/nobody").status_code == 404
