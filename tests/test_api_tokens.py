"""Personal access tokens: made at /settings/tokens, shown once, kept as a hash, revoked;
a suspended member's tokens only read, a refused or deleted account's stop at once."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import sqlalchemy as sa

from forum.models import User
from forum.models import utcnow
from forum.tokens.models import ApiToken
from tests.helpers import api_client
from tests.helpers import api_token
from tests.helpers import app_db
from tests.helpers import bearer
from tests.helpers import client_for
from tests.helpers import send_form

SECRET_RE = re.compile(r'id="token-secret"[^>]*>(srb_[^<]+)<')


def _create(client, name="Laporan kabupaten", scope="read"):
    response = send_form(client, "/settings/tokens", {"name": name, "scope": scope})
    assert response.status_code == 200
    match = SECRET_RE.search(response.get_data(as_text=True))
    assert match, "the new token is shown"
    return match.group(1)


def test_a_member_creates_a_token_that_is_shown_once_and_stored_as_a_hash(app, make_user):
    user = make_user("rina")
    client = client_for(app, user)
    secret = _create(client)
    assert secret not in client.get("/settings/tokens").get_data(as_text=True)
    with app_db(app) as session:
        token = session.scalar(sa.select(ApiToken))
        assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in {token.token_hash, token.name, token.hint}
        assert token.scope == "read"
    page = client.get("/settings/tokens").get_data(as_text=True)
    assert "Laporan kabupaten" in page and "Read only" in page


def test_the_token_form_refuses_an_empty_name_and_an_unknown_scope(app, make_user):
    client = client_for(app, make_user())
    response = send_form(client, "/settings/tokens", {"name": " ", "scope": "admin"})
    assert response.status_code == 400
    assert not SECRET_RE.search(response.get_data(as_text=True))
    with app_db(app) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_visitors_are_sent_to_log_in(app):
    response = client_for(app).get("/settings/tokens")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_token_reads_as_its_member_and_a_revoked_one_stops(app, make_user, make_thread):
    user = make_user("rina")
    hidden = make_thread(user, title="Draf yang disembunyikan", hidden=True)
    client = client_for(app, user)
    secret = _create(client, scope="write")
    api = api_client(app)
    assert api.get(f"/api/v1/threads/{hidden.id}").status_code == 404  # as a visitor
    assert api.get(f"/api/v1/threads/{hidden.id}", headers=bearer(secret)).status_code == 200
    with app_db(app) as session:
        token_id = session.scalar(sa.select(ApiToken.id))
    asked = client.get(f"/settings/tokens/{token_id}/revoke")  # asks first, changes nothing
    assert asked.status_code == 200 and "Revoke this token?" in asked.get_data(as_text=True)
    assert api.get(f"/api/v1/threads/{hidden.id}", headers=bearer(secret)).status_code == 200
    assert send_form(client, f"/settings/tokens/{token_id}/revoke").status_code == 302
    response = api.get(f"/api/v1/threads/{hidden.id}", headers=bearer(secret))
    assert response.status_code == 401
    assert response.is_json and response.headers["WWW-Authenticate"].startswith("Bearer")
    client.get("/settings/tokens")  # the flash message names it once
    assert 'class="token-list"' not in client.get("/settings/tokens").get_data(as_text=True)


def test_nobody_revokes_another_members_token(app, make_user):
    owner, other = make_user(), make_user()
    api_token(app, owner)
    with app_db(app) as session:
        token_id = session.scalar(sa.select(ApiToken.id))
    intruder = client_for(app, other)
    assert intruder.get(f"/settings/tokens/{token_id}/revoke").status_code == 404
    response = send_form(intruder, f"/settings/tokens/{token_id}/revoke")
    assert response.status_code == 404
    with app_db(app) as session:
        assert session.get(ApiToken, token_id).revoked_at is None


def test_a_read_token_cannot_write(app, make_user, make_thread):
    thread = make_thread()
    secret = api_token(app, make_user(), scope="read")
    response = api_client(app).post(
        f"/api/v1/threads/{thread.id}/replies", json={"body": "Halo"}, headers=bearer(secret)
    )
    assert response.status_code == 403
    assert "only read" in response.get_json()["error"]["message"]


def test_a_suspended_members_token_keeps_reading_and_loses_writing(app, make_user, make_thread):
    thread = make_thread()
    user = make_user(suspended_until=utcnow() + timedelta(days=3), suspension_reason="spam")
    secret = api_token(app, user)
    api = api_client(app)
    assert api.get(f"/api/v1/threads/{thread.id}", headers=bearer(secret)).status_code == 200
    for method, url, body in (
        ("post", f"/api/v1/threads/{thread.id}/replies", {"body": "Halo semua"}),
        ("put", f"/api/v1/threads/{thread.id}/bookmark", None),
        ("post", "/api/v1/threads", {"kind": "practice", "title": "Judul baru", "body": "Isi"}),
    ):
        response = getattr(api, method)(url, json=body, headers=bearer(secret))
        assert response.status_code == 403, (method, url)
        assert "suspended" in response.get_json()["error"]["message"]


def test_a_deleted_accounts_tokens_stop_at_once(app, make_user, make_thread):
    from forum.extensions import db
    from forum.users.accounts import delete_account

    thread = make_thread()
    user = make_user()
    secret = api_token(app, user)
    with app.app_context():
        delete_account(db.session.get(User, user.id))
        db.session.commit()
    response = api_client(app).get(f"/api/v1/threads/{thread.id}", headers=bearer(secret))
    assert response.status_code == 401


def test_an_account_marked_deleted_cannot_use_a_remaining_token(app, make_user, make_thread):
    """The token check asks the account's state itself, not only whether its rows exist."""
    thread = make_thread()
    user = make_user()
    secret = api_token(app, user)
    with app_db(app) as session:
        session.get(User, user.id).deleted_at = utcnow()
        session.commit()
    response = api_client(app).get(f"/api/v1/threads/{thread.id}", headers=bearer(secret))
    assert response.status_code == 401


def test_a_refused_members_tokens_stop_and_no_new_one_is_made(app, make_user, make_thread):
    """Made while waiting for approval; a facilitator's refusal ends them at once."""
    from forum.extensions import db
    from forum.moderation import approval

    thread = make_thread()
    member, facilitator = make_user(approval="waiting"), make_user(role="facilitator")
    secret = api_token(app, member, scope="read")
    api = api_client(app)
    assert api.get(f"/api/v1/threads/{thread.id}", headers=bearer(secret)).status_code == 200
    with app.app_context():
        approval.refuse(
            db.session.get(User, facilitator.id), db.session.get(User, member.id), "tidak dikenal"
        )
        db.session.commit()
    response = api.get(f"/api/v1/threads/{thread.id}", headers=bearer(secret))
    assert response.status_code == 401 and response.is_json
    client = client_for(app, member)
    response = send_form(client, "/settings/tokens", {"name": "Bot", "scope": "read"})
    assert response.status_code == 400
    assert "did not approve" in response.get_data(as_text=True)
    assert not SECRET_RE.search(response.get_data(as_text=True))


def test_a_malformed_or_unknown_token_is_401_json(app):
    api = api_client(app)
    for header in ("Bearer", "Basic abc", "Bearer srb_not-a-token"):
        response = api.get("/api/v1/threads", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.get_json()["error"]["status"] == 401


def test_a_session_cookie_never_authorizes_an_api_write(app, make_user, make_thread):
    thread = make_thread()
    user = make_user()
    client = client_for(app, user)  # logged in on the pages
    response = client.post(f"/api/v1/threads/{thread.id}/replies", json={"body": "Dari cookie"})
    assert response.status_code == 401
    hidden = make_thread(user, title="Punya saya tapi tersembunyi", hidden=True)
    assert client.get(f"/api/v1/threads/{hidden.id}").status_code == 404  # reads as a visitor
