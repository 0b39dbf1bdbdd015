"""Reading and writing offline (issue 23): the installable app's routes and the outbox's key.

A phone's outbox sends a reply or thread with a ``client_key`` it made; a second
try with the same key (the first one's response was lost) finds the post the
first made, whatever happened since, and never posts twice.
"""

from __future__ import annotations

import json
import re
import uuid

import sqlalchemy as sa

from forum.models import Post
from forum.models import Thread
from forum.threads import service
from tests.helpers import app_db
from tests.helpers import client_for
from tests.helpers import count_rows
from tests.helpers import send_form


def reply_with_key(browser, thread, key, body="Kami juga membuka pojok baca di pos ronda."):
    return send_form(browser, f"/threads/{thread.id}/replies", {"body": body, "client_key": key})


def thread_with_key(browser, key, title="Perpustakaan keliling dengan sepeda"):
    return send_form(
        browser,
        "/threads/new",
        {
            "kind": "practice",
            "title": title,
            "body": "Setiap Minggu relawan membawa buku ke dusun.",
            "tags": "",
            "client_key": key,
        },
    )


def posts_with_key(app, key) -> list[Post]:
    with app_db(app) as session:
        return list(session.scalars(sa.select(Post).where(Post.client_key == key)))


def test_a_reply_sent_twice_with_one_key_is_posted_once(app, make_user, make_thread):
    thread = make_thread()
    browser = client_for(app, make_user())
    key = str(uuid.uuid4())
    first = reply_with_key(browser, thread, key)
    second = reply_with_key(browser, thread, key)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    [post] = posts_with_key(app, key)
    assert first.headers["Location"].endswith(f"#post-{post.id}")


def test_a_new_thread_sent_twice_with_one_key_is_opened_once(app, make_user):
    browser = client_for(app, make_user())
    key = str(uuid.uuid4())
    first = thread_with_key(browser, key)
    second = thread_with_key(browser, key)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert count_rows(app, Thread) == 1
    [post] = posts_with_key(app, key)
    assert post.is_opening


def test_another_members_key_never_collides(app, make_user, make_thread):
    thread = make_thread()
    key = str(uuid.uuid4())
    for author in (make_user(), make_user()):
        assert reply_with_key(client_for(app, author), thread, key).status_code == 302
    assert len({post.author_id for post in posts_with_key(app, key)}) == 2


def test_posts_without_a_key_are_never_taken_for_each_other(app, make_user, make_thread):
    thread = make_thread()
    browser = client_for(app, make_user())
    for _ in range(2):
        assert reply_with_key(browser, thread, "").status_code == 302
    assert count_rows(app, Post) == 3  # the opening post and two replies


def test_a_retry_after_the_thread_was_locked_finds_the_reply(app, make_user, make_thread):
    thread = make_thread()
    browser = client_for(app, make_user())
    key = str(uuid.uuid4())
    first = reply_with_key(browser, thread, key)
    with app_db(app) as session:
        session.get(Thread, thread.id).locked = True
        session.commit()
    again = reply_with_key(browser, thread, key)
    assert again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert len(posts_with_key(app, key)) == 1
    refused = reply_with_key(browser, thread, str(uuid.uuid4()))
    assert refused.status_code == 403


def test_two_tries_meeting_at_the_database_make_one_post(app, make_user, make_thread, monkeypatch):
    """The second try looked before the first one committed: the unique index decides."""
    thread = make_thread()
    author = make_user()
    key = str(uuid.uuid4())
    first = reply_with_key(client_for(app, author), thread, key)
    assert first.status_code == 302
    looks = []
    real_look = service.posted_with_key

    def look_too_early(member, client_key):
        looks.append(client_key)
        return None if len(looks) == 1 else real_look(member, client_key)

    monkeypatch.setattr(service, "posted_with_key", look_too_early)
    again = reply_with_key(client_for(app, author), thread, key)
    assert again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert len(looks) == 2
    assert len(posts_with_key(app, key)) == 1


def test_a_malformed_key_is_a_form_error_not_a_post(app, make_user, make_thread):
    thread = make_thread()
    browser = client_for(app, make_user())
    response = reply_with_key(browser, thread, "<script>")
    assert response.status_code == 400
    assert count_rows(app, Post) == 1


def test_the_manifest_installs_serambi_in_indonesian_with_its_icons(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data())
    assert manifest["short_name"] == "Serambi"
    assert manifest["lang"] == "id"
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/"
    assert manifest["theme_color"].startswith("#")
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as image:
            assert image.status_code == 200
            assert image.mimetype == "image/png"
            width = int.from_bytes(image.data[16:20], "big")  # the PNG header's width
        assert f"{width}x{width}" == icon["sizes"]


def test_the_service_worker_is_served_for_the_whole_site_and_never_stale(client):
    response = client.get("/service-worker.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    # A deploy that renames the stylesheet changes the worker's bytes: phones update it.
    assert re.search(r'var SHELL = "serambi-shell-[0-9a-f]{10}"', response.get_data(as_text=True))


def test_every_page_links_the_manifest_and_says_who_is_reading(app, client, make_user):
    visitor_page = client.get("/").text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in visitor_page
    assert '<meta name="serambi-member" content="">' in visitor_page
    member = make_user()
    member_page = client_for(app, member).get("/").text
    assert f'<meta name="serambi-member" content="{member.id}">' in member_page


def test_the_offline_page_is_in_the_readers_language(app):
    indonesian = app.test_client().get("/offline")
    assert indonesian.status_code == 200
    assert "Diskusi yang disimpan di ponsel ini" in indonesian.text
    english = client_for(app).get("/offline")
    assert "Discussions saved on this phone" in english.text


def test_the_session_answer_names_the_member_and_is_never_kept(app, client, make_user):
    visitor = client.get("/offline/session")
    assert visitor.json == {"member": None, "csrf": None}
    assert visitor.headers["Cache-Control"] == "no-store"
    member = make_user()
    answer = client_for(app, member).get("/offline/session").json
    assert answer["member"] == member.id
    assert answer["csrf"]


def test_logging_out_clears_what_the_phone_kept(app, make_user):
    browser = client_for(app, make_user())
    response = send_form(browser, "/auth/logout")
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_a_thread_page_offers_saving_only_what_visitors_may_read(
    app, client, make_thread, facilitator
):
    shown = make_thread()
    assert 'id="offline-save"' in client.get(f"/threads/{shown.id}").text
    hidden = make_thread(hidden=True, hidden_reason="spam")
    page = client_for(app, facilitator).get(f"/threads/{hidden.id}")
    assert page.status_code == 200
    assert 'id="offline-save"' not in page.text
