"""A member's own data: the JSON download and deleting the account."""

from __future__ import annotations

import json

import sqlalchemy as sa

from forum.extensions import db
from forum.extensions import search
from forum.models import Draft
from forum.models import Post
from forum.models import User
from forum.moderation.models import Flag
from forum.moderation.models import LoginFailure
from forum.search_documents import all_documents
from tests.helpers import PASSWORD
from tests.helpers import app_db
from tests.helpers import client_for
from tests.helpers import count_rows
from tests.helpers import hit_titles
from tests.helpers import post_form

OLD_NAME = "Zaenudin Kwartorejo"  # unusual, so a stray match means a leak


def delete_account(client, password=PASSWORD):
    return post_form(
        client,
        "/settings/account/delete",
        {"password": password},
        page="/settings/account/delete",
    )


def test_export_holds_own_profile_and_posts_and_nothing_of_others(
    app, make_user, make_thread, make_reply
):
    member = make_user("zaenudin", display_name=OLD_NAME)
    other = make_user("ratna_lain", display_name="Ratna Lainnya")
    mine = make_thread(member, title="Lapak baca di pasar", body="Kami membuka lapak baca.")
    theirs = make_thread(other, title="Utas anggota lain", body="Isi rahasia anggota lain.")
    make_reply(theirs, member, body="Balasan saya di utas lain.")
    make_reply(mine, other, body="Balasan anggota lain di utas saya.")
    with app_db(app) as session:
        session.add(Draft(user_id=member.id, slot="thread", data={"title": "Draf saya"}))
        session.add(Draft(user_id=other.id, slot="thread", data={"title": "Draf orang lain"}))
        session.add(Flag(post_id=theirs.id, reporter_id=member.id, reason="spam"))
        session.commit()
    client = client_for(app, member)

    response = client.get("/settings/account/export")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["profile"]["display_name"] == OLD_NAME
    assert data["profile"]["email"] == "zaenudin@contoh.id"
    assert data["profile"]["library"]["name"] == "Perpustakaan Desa Sukamaju"
    bodies = {post["body"] for post in data["posts"]}
    assert bodies == {"Kami membuka lapak baca.", "Balasan saya di utas lain."}
    assert [p["thread_title"] for p in data["posts"] if p["is_opening"]] == ["Lapak baca di pasar"]
    assert [d["data"]["title"] for d in data["other"]["drafts"]] == ["Draf saya"]
    assert [f["reason"] for f in data["flags"]] == ["spam"]
    raw = response.get_data(as_text=True)
    for foreign in ("Ratna Lainnya", "ratna_lain", "Isi rahasia anggota lain", "Draf orang lain"):
        assert foreign not in raw
    assert "Balasan anggota lain" not in raw
    assert "password" not in raw and "session_token" not in raw


def test_export_and_deletion_need_a_login(client):
    for path in ("/settings/account/export", "/settings/account/delete"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/auth/login" in response.headers["Location"]


def test_deletion_needs_the_password_and_changes_nothing_without_it(app, make_user):
    member = make_user("zaenudin", display_name=OLD_NAME)
    client = client_for(app, member)
    response = delete_account(client, password="salah-sekali")
    assert response.status_code == 400
    assert "The password is not right." in response.get_data(as_text=True)
    with app_db(app) as session:
        assert session.get(User, member.id).deleted_at is None


def test_deleted_member_disappears_but_their_posts_stay_as_former_member(
    app, make_user, make_thread, make_reply
):
    member = make_user("zaenudin", display_name=OLD_NAME)
    thread = make_thread(member, title="Lapak baca di pasar", body="Lapak buku kwartorejo buka.")
    other_thread = make_thread(title="Utas anggota lain")
    make_reply(other_thread, member, body="Balasan saya tentang dongeng.")
    with app_db(app) as session:
        session.add(Draft(user_id=member.id, slot="thread", data={"title": "Draf"}))
        session.add(LoginFailure(user_id=member.id, client="192.0.2.9", failures=3))
        session.commit()
    # The search index knows the name before.
    assert "zaenudin" in client_for(app).get("/search?q=author:zaenudin").get_data(as_text=True)
    client = client_for(app, member)

    response = delete_account(client)

    assert response.status_code == 302
    # Logged out, and cannot log in again.
    assert client.get("/settings/account/export").status_code == 302
    for username in ("zaenudin", f"deleted-{member.id}"):
        relogin = post_form(
            client,
            "/auth/login",
            {"username": username, "password": PASSWORD},
            page="/auth/login",
        )
        assert relogin.status_code == 400
        assert "Wrong username or password." in relogin.get_data(as_text=True)
    visitor = client_for(app)
    reader = client_for(app, make_user("pembaca"))
    for browser in (visitor, reader):
        assert browser.get("/users/zaenudin").status_code == 404
        assert browser.get(f"/users/deleted-{member.id}").status_code == 404
        for page in (
            f"/threads/{thread.id}",
            f"/threads/{other_thread.id}",
            "/threads",
            "/",
            "/search?q=lapak",
            "/search?q=dongeng",
            f"/search?q={OLD_NAME.split()[0]}",
            "/search?q=author:zaenudin",
        ):
            html = browser.get(page).get_data(as_text=True)
            if page.startswith("/search"):  # the query itself is echoed back, fairly
                html = html.split('class="threads hits"', 1)[1].split("</ol>", 1)[0]
            assert OLD_NAME not in html, page
            assert "zaenudin" not in html.lower(), page
            assert "zaenudin@contoh.id" not in html, page
    thread_page = reader.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert "Lapak buku kwartorejo buka." in thread_page
    assert "former member" in thread_page
    assert "Lapak baca di pasar" in hit_titles(reader.get("/search?q=lapak"))
    with app_db(app) as session:
        gone = session.get(User, member.id)
        assert gone.stored_display_name == "" and gone.library_id is None
        assert "zaenudin" not in gone.email
        assert session.scalar(sa.select(sa.func.count()).select_from(Draft)) == 0
        assert session.get(LoginFailure, (member.id, "192.0.2.9")) is None
    assert count_rows(app, Post) == 3  # nothing torn out of the threads


def index_drift(app):
    """What `flask search check` would repair now (nothing, when every change reached it)."""
    with app.app_context():
        search.drain(db.engine)
        documents, _total = all_documents(db.session)
        report = search.check(documents, repair=False)
        return report.missing + report.stale + report.extra


def test_deletion_leaves_no_drift_in_the_index(app, make_user, make_thread, make_reply):
    member = make_user("zaenudin", display_name=OLD_NAME)
    make_reply(make_thread(member), member)
    delete_account(client_for(app, member))
    assert index_drift(app) == []


def test_a_renamed_member_is_re_indexed(app, make_user, make_thread, make_reply):
    member = make_user("zaenudin", display_name=OLD_NAME)
    make_reply(make_thread(member), member)
    client = client_for(app, member)
    settings = {
        "display_name": "Juragan Buku",
        "email": "zaenudin@contoh.id",
        "timezone": "Asia/Jakarta",
        "language": "en",
    }
    response = post_form(client, "/settings/profile", settings, page="/settings/profile")
    assert response.status_code == 302
    assert index_drift(app) == []  # without the hook, both posts would be stale


def test_deleted_member_shows_in_indonesian_as_mantan_anggota(app, make_user, make_thread):
    member = make_user("zaenudin", display_name=OLD_NAME)
    thread = make_thread(member)
    delete_account(client_for(app, member))
    html = app.test_client().get(f"/threads/{thread.id}").get_data(as_text=True)
    assert OLD_NAME not in html
    # The lead translates "former member"; until then the English msgid shows.
    assert "mantan anggota" in html or "former member" in html
