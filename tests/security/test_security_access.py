"""Nobody reaches what is not theirs: other members' posts, drafts, notifications and
bookmarks, hidden threads; no open redirect; no session fixation; no user enumeration.

Already covered elsewhere and not repeated here: the login ``next`` table
(tests/test_auth.py::test_login_honours_only_a_safe_local_next), the same login
message and the dummy hash for unknown users (tests/test_auth.py), the session
cleared at login (tests/test_auth.py::test_login_clears_the_old_session), the
copied cookie after logout (tests/test_auth.py), the role-by-route matrix
(tests/test_permission_matrix.py) and the login lockout shared by two app
instances on one database (tests/test_moderation_limits.py::
test_failed_logins_are_shared_by_every_worker).
"""

from __future__ import annotations

import itertools
import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound

from forum.models import Draft
from forum.models import Post
from forum.models import Thread
from forum.models import utcnow
from tests.helpers import CSRF_RE
from tests.helpers import PASSWORD
from tests.helpers import app_db
from tests.helpers import client_for
from tests.helpers import csrf_token
from tests.helpers import login_as
from tests.helpers import post_form
from tests.helpers import without_token_time

HOSTILE_NEXT = [
    "//evil.example/x",
    "https://evil.example/",
    "http:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "/ok\r\nSet-Cookie: x=1",
    "%2F%2Fevil.example",
    " //evil.example",
    "\t//evil.example",
]


def _is_foreign(location: str) -> bool:
    location = location.strip()
    return not location.startswith("/") or location.startswith(("//", "/\\"))


# --- open redirects --------------------------------------------------------------------


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_no_button_redirects_off_site(app, make_user, make_thread, target):
    member = make_user()
    thread = make_thread(member)
    facilitator = client_for(app, make_user(role="facilitator"))
    client = client_for(app, member)
    sent = [
        (client, "/settings/language", {"lang": "en", "next": target}),
        (facilitator, f"/mod/threads/{thread.id}/pin", {"next": target}),
        (client, f"/threads/{thread.id}/follow", {"next": target}),
        (client, "/notifications/read-all", {"next": target}),
    ]
    for who, url, data in sent:
        try:
            app.url_map.bind("localhost").match(url, method="POST")
        except (NotFound, MethodNotAllowed):
            continue  # a route another engineer has not added yet
        response = who.post(url, data={**data, "csrf_token": csrf_token(who)})
        assert response.status_code in (302, 303), (url, response.status_code)
        assert not _is_foreign(response.headers["Location"]), (url, response.headers["Location"])


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_login_page_never_links_or_redirects_off_site(app, make_user, target):
    client = client_for(app)
    response = client.get("/auth/login", query_string={"next": target})
    html = response.get_data(as_text=True)
    for value in re.findall(r'(?:href|action)="([^"]*)"', html):
        # Links stay here: relative ("?next=..." keeps the target as a query value).
        assert value.startswith(("/", "?", "#")) or value == "", value
        assert not value.startswith(("//", "/\\")), value
    response = post_form(
        client,
        "/auth/login",
        {"username": make_user().username, "password": PASSWORD},
        page="/auth/login",
        query_string={"next": target},
    )
    assert not _is_foreign(response.headers["Location"])


# --- other members' things (IDOR) ------------------------------------------------------


def test_a_member_cannot_edit_withdraw_or_solve_anothers_posts(
    app, make_user, make_thread, make_reply
):
    owner, intruder = make_user(), make_user()
    thread = make_thread(owner, kind="challenge", body="Isi asli pemilik.")
    reply = make_reply(thread, owner, body="Balasan asli pemilik.")
    other_reply = make_reply(thread, make_user())
    client = client_for(app, intruder)
    token = csrf_token(client)
    attempts = [
        ("GET", f"/posts/{reply.id}/edit", {}),
        ("POST", f"/posts/{reply.id}/edit", {"body": "Diubah penyusup."}),
        ("GET", f"/threads/{thread.id}/edit", {}),
        ("POST", f"/threads/{thread.id}/edit", {"title": "Judul penyusup", "body": "x" * 20}),
        ("POST", f"/posts/{reply.id}/withdraw", {}),
        ("POST", f"/posts/{thread.id}/withdraw", {}),
        ("POST", f"/threads/{thread.id}/solve", {"post_id": str(other_reply.id)}),
    ]
    for method, url, data in attempts:
        response = client.open(url, method=method, data={**data, "csrf_token": token})
        assert response.status_code == 403, (method, url, response.status_code)
    with app_db(app) as session:
        assert session.get(Post, reply.id).body == "Balasan asli pemilik."
        assert session.get(Post, reply.id).withdrawn_at is None
        saved = session.get(Thread, thread.id)
        assert saved.accepted_post_id is None and saved.withdrawn_at is None
        assert saved.title == "Pojok baca di balai desa"


def test_hidden_threads_and_posts_are_not_found_by_id(app, make_user, make_thread, make_reply):
    author, member = make_user(), make_user()
    thread = make_thread(author)
    reply = make_reply(thread, author)
    open_thread = make_thread(author, title="Utas terbuka")
    hidden_reply = make_reply(open_thread, author)
    with app_db(app) as session:
        session.get(Thread, thread.id).hidden = True
        session.get(Post, hidden_reply.id).hidden = True
        session.commit()
    client = client_for(app, member)
    token = csrf_token(client)
    attempts = [
        ("GET", f"/threads/{thread.id}"),
        ("GET", f"/posts/{reply.id}/history"),
        ("GET", f"/posts/{hidden_reply.id}/history"),
        ("GET", f"/threads/{thread.id}/flag"),
        ("GET", f"/posts/{hidden_reply.id}/flag"),
        ("POST", f"/threads/{thread.id}/replies"),
        ("POST", f"/threads/{thread.id}/bookmark"),
        ("POST", f"/threads/{thread.id}/follow"),
        ("POST", f"/threads/{thread.id}/helpful"),
        ("POST", f"/posts/{hidden_reply.id}/helpful"),
    ]
    for method, url in attempts:
        try:
            app.url_map.bind("localhost").match(url, method=method)
        except (NotFound, MethodNotAllowed):
            continue  # not registered yet
        response = client.open(url, method=method, data={"body": "x" * 20, "csrf_token": token})
        assert response.status_code == 404, (method, url, response.status_code)
    assert client_for(app).get(f"/threads/{thread.id}").status_code == 404


def test_a_member_cannot_read_or_delete_anothers_drafts(app, make_user, make_thread):
    owner, intruder = make_user(), make_user()
    with app_db(app) as session:
        draft = Draft(user_id=owner.id, slot="thread", data={"title": "Draf rahasia pemilik"})
        session.add(draft)
        session.commit()
        draft_id = draft.id
    client = client_for(app, intruder)
    response = client.post(f"/drafts/{draft_id}/delete", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 404
    assert "Draf rahasia pemilik" not in client.get("/drafts").get_data(as_text=True)
    assert "Draf rahasia pemilik" not in client.get("/threads/new").get_data(as_text=True)
    with app_db(app) as session:
        assert session.get(Draft, draft_id) is not None


def test_a_member_cannot_read_anothers_notifications(app, make_user, make_thread, make_reply):
    from forum.engagement.models import Notification

    owner, intruder = make_user(), make_user()
    thread = make_thread(owner, title="Utas pemilik notifikasi")
    make_reply(thread, make_user(), body="Balasan yang memberi tahu pemilik.")
    with app_db(app) as session:
        notification_id = session.scalar(
            sa.select(Notification.id).where(Notification.user_id == owner.id)
        )
    assert notification_id is not None, "a reply to a followed thread notifies its author"
    client = client_for(app, intruder)
    response = client.post(
        f"/notifications/{notification_id}/read",
        data={"csrf_token": csrf_token(client), "then": "open"},
    )
    assert response.status_code == 404
    assert "Utas pemilik notifikasi" not in client.get("/notifications").get_data(as_text=True)
    with app_db(app) as session:
        assert session.get(Notification, notification_id).read_at is None


def test_a_member_cannot_see_anothers_bookmarks(app, make_user, make_thread):
    owner, intruder = make_user(), make_user()
    thread = make_thread(make_user(), title="Utas yang ditandai pemilik")
    client = client_for(app, owner)
    client.post(f"/threads/{thread.id}/bookmark", data={"csrf_token": csrf_token(client)})
    assert "Utas yang ditandai pemilik" in client.get("/bookmarks").get_data(as_text=True)
    other = client_for(app, intruder)
    assert "Utas yang ditandai pemilik" not in other.get("/bookmarks").get_data(as_text=True)
    assert client_for(app).get("/bookmarks").status_code == 302  # visitors log in first


# --- sessions ----------------------------------------------------------------------------


def test_a_cookie_planted_before_login_is_still_anonymous_after_it(app, make_user):
    victim = make_user()
    attacker = app.test_client()
    attacker.get("/auth/login")
    planted = attacker.get_cookie("session")
    client = app.test_client()
    if planted is not None:
        client.set_cookie("session", planted.value)
    login_as(client, victim)
    assert client.get_cookie("session").value != (planted.value if planted else None)
    replay = app.test_client()
    if planted is not None:
        replay.set_cookie("session", planted.value)
    assert replay.get("/settings/profile").status_code == 302  # still a visitor


def test_logout_and_password_change_end_copied_sessions(app, make_user):
    member = make_user()
    client = client_for(app, member)
    copied = client.get_cookie("session").value
    post_form(
        client,
        "/auth/password",
        {"current_password": PASSWORD, "password": "sandi-baru-123", "confirm": "sandi-baru-123"},
        page="/auth/password",
    )
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/settings/profile").status_code == 302


# --- user enumeration -------------------------------------------------------------------


def test_unknown_used_and_expired_reset_links_look_the_same(app, make_user, monkeypatch):
    from itsdangerous.timed import TimestampSigner

    from forum.moderation.models import PasswordResetToken

    # Each page in a later second than the one before, as on a slow machine: the CSRF
    # token's timestamp then differs, and nothing else may.
    clock = itertools.count(int(time.time()), 3)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: next(clock))

    member = make_user()
    with app_db(app) as session:
        for token, used, expires in (
            ("sudah-dipakai", utcnow(), utcnow() + timedelta(hours=1)),
            ("sudah-kedaluwarsa", None, utcnow() - timedelta(hours=1)),
        ):
            session.add(
                PasswordResetToken(
                    user_id=member.id,
                    token_hash=PasswordResetToken.digest(token),
                    created_by_id=member.id,
                    used_at=used,
                    expires_at=expires,
                )
            )
        session.commit()
    client = client_for(app)
    pages = set()
    for token in ("sudah-dipakai", "sudah-kedaluwarsa", "tidak-pernah-ada"):
        response = client.get(f"/auth/reset/{token}")
        assert response.status_code == 404
        html = response.get_data(as_text=True).replace(token, "TOKEN")
        assert CSRF_RE.search(html), "the page has a form"
        pages.add(without_token_time(html))
    assert len(pages) == 1
    assert member.username not in pages.pop()


def test_wrong_password_and_unknown_user_take_the_same_code_path(app, make_user, monkeypatch):
    """Both verify exactly one hash and answer alike (never measured as a time)."""
    import forum.auth.service as accounts

    make_user("ada_orangnya")
    calls = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda h, p: calls.append(h) or real(h, p))
    answers = []
    for username in ("ada_orangnya", "tidak_ada_orangnya"):
        client = client_for(app)
        calls.clear()
        response = post_form(
            client,
            "/auth/login",
            {"username": username, "password": "salah-sekali"},
            page="/auth/login",
        )
        answers.append((response.status_code, len(calls), _main(response).replace(username, "")))
    assert answers[0] == answers[1]
    assert answers[0][1] == 1


def _main(response) -> str:
    html = response.get_data(as_text=True)
    main = html.split('<main id="main">', 1)[1].split("</main>", 1)[0]
    # The CSRF token differs per browser; nothing else may.
    return "".join(line for line in main.splitlines() if "csrf_token" not in line)
