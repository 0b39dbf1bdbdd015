"""Visitors' thread, list and home pages: an ETag, and a 304 without rendering when nothing changed.

A repeat request never gets back a page that is no longer true (an edit, a hide, a
rename, a new reply) nor one whose form token no longer matches the session (after
logging in or out).
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from flask import template_rendered

from forum.extensions import db
from forum.models import Post
from forum.models import Thread
from forum.models import User
from tests.helpers import CSRF_RE
from tests.helpers import app_db
from tests.helpers import client_for
from tests.helpers import login_as
from tests.helpers import post_form


@contextmanager
def rendered_templates(app):
    """Collect the names of the templates rendered inside the block."""
    names: list[str] = []

    def record(sender, template, context, **extra):
        names.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield names
    finally:
        template_rendered.disconnect(record, app)


def revalidate(client, path: str, etag: str):
    return client.get(path, headers={"If-None-Match": etag})


@pytest.fixture
def thread(make_user, make_thread, make_reply):
    author = make_user(display_name="Asep Sukatani")
    thread = make_thread(author, title="Pojok baca Sabtu pagi")
    make_reply(thread, body="Balasan pertama tentang dongeng.")
    return thread


@pytest.mark.parametrize("page", ["thread", "/", "/threads"])
def test_a_visitor_revalidating_an_unchanged_page_gets_304_without_rendering(app, thread, page):
    path = f"/threads/{thread.id}" if page == "thread" else page
    visitor = client_for(app)
    first = visitor.get(path)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert {"Cookie", "Accept-Language"} <= set(first.vary)
    with rendered_templates(app) as names:
        again = revalidate(visitor, path, etag)
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert names == []


def test_a_reply_edit_changes_the_etag_and_the_next_view_shows_it(app, thread):
    path = f"/threads/{thread.id}"
    visitor = client_for(app)
    etag = visitor.get(path).headers["ETag"]
    from forum.threads import service

    with app_db(app) as session:
        post = session.scalars(
            db.select(Post).where(Post.thread_id == thread.id, Post.body.contains("pertama"))
        ).one()
        service.edit_post(post.author, post, "Balasan yang sudah diperbaiki.")
        session.commit()
    again = revalidate(visitor, path, etag)
    assert again.status_code == 200
    assert again.headers["ETag"] != etag
    assert "Balasan yang sudah diperbaiki." in again.get_data(as_text=True)


def test_hiding_a_reply_changes_the_etag_and_the_reply_is_gone(app, thread, make_user):
    path = f"/threads/{thread.id}"
    visitor = client_for(app)
    etag = visitor.get(path).headers["ETag"]
    facilitator = make_user(role="facilitator")
    from forum.moderation import service as moderation

    with app_db(app) as session:
        post = session.scalars(
            db.select(Post).where(Post.thread_id == thread.id, Post.body.contains("pertama"))
        ).one()
        moderation.hide_post(session.get(User, facilitator.id), post, "Bukan tempatnya.")
        session.commit()
    again = revalidate(visitor, path, etag)
    assert again.status_code == 200
    assert "Balasan pertama" not in again.get_data(as_text=True)


def test_an_authors_rename_changes_the_etag_of_the_list(app, thread):
    visitor = client_for(app)
    etag = visitor.get("/threads").headers["ETag"]
    with app_db(app) as session:
        author = session.get(User, session.get(Thread, thread.id).author_id)
        author.display_name = "Asep Nama Baru"
        session.commit()
    again = revalidate(visitor, "/threads", etag)
    assert again.status_code == 200
    assert "Asep Nama Baru" in again.get_data(as_text=True)


def test_a_new_thread_changes_the_home_pages_etag(app, thread, make_thread):
    visitor = client_for(app)
    etag = visitor.get("/").headers["ETag"]
    make_thread(title="Perpustakaan keliling desa")
    again = revalidate(visitor, "/", etag)
    assert again.status_code == 200
    assert "Perpustakaan keliling desa" in again.get_data(as_text=True)


def test_another_language_is_another_page(app, thread):
    visitor = client_for(app)
    etag = visitor.get("/threads").headers["ETag"]
    visitor.set_cookie("lang", "id")
    again = revalidate(visitor, "/threads", etag)
    assert again.status_code == 200
    assert again.headers["ETag"] != etag
    assert 'lang="id"' in again.get_data(as_text=True)


def test_logging_in_then_revalidating_gives_the_members_page(app, thread, make_user):
    member = make_user()
    path = f"/threads/{thread.id}"
    browser = client_for(app)
    etag = browser.get(path).headers["ETag"]
    login_as(browser, member)
    again = revalidate(browser, path, etag)
    assert again.status_code == 200
    assert "ETag" not in again.headers  # a member's page is theirs: rendered every time
    assert "Log out" in again.get_data(as_text=True)


def test_logging_out_then_revalidating_gives_a_page_whose_token_works(app, thread, make_user):
    member = make_user()
    path = f"/threads/{thread.id}"
    browser = client_for(app)
    etag = browser.get(path).headers["ETag"]  # as a visitor, before logging in
    login_as(browser, member)
    post_form(browser, "/auth/logout", page=path)
    again = revalidate(browser, path, etag)
    assert again.status_code == 200
    html = again.get_data(as_text=True)
    assert "Log in" in html
    token = CSRF_RE.search(html).group(1)
    # The page's token is this session's: the footer's language switch accepts it.
    switched = browser.post(
        "/settings/language", data={"csrf_token": token, "lang": "id", "next": path}
    )
    assert switched.status_code == 302


def test_members_pages_carry_no_etag(app, thread, make_user):
    browser = client_for(app, make_user())
    response = browser.get(f"/threads/{thread.id}", headers={"If-None-Match": "*"})
    assert response.status_code == 200
    assert "ETag" not in response.headers


def test_a_waiting_flash_message_is_shown_not_answered_with_304(app, thread, make_user):
    path = f"/threads/{thread.id}"
    browser = client_for(app)
    etag = browser.get(path).headers["ETag"]
    with browser.session_transaction() as session:
        session["_flashes"] = [("info", "Pesan untuk pengunjung")]
    again = revalidate(browser, path, etag)
    assert again.status_code == 200
    assert "Pesan untuk pengunjung" in again.get_data(as_text=True)
