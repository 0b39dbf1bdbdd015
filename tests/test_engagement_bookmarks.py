"""Bookmarks and follow buttons on the thread page; one's own bookmarks only."""

from __future__ import annotations

import sqlalchemy as sa

from forum.engagement.models import Bookmark
from forum.engagement.models import TagFollow
from forum.engagement.models import ThreadFollow
from forum.models import Tag
from forum.models import Thread
from tests.helpers import app_db
from tests.helpers import count_rows
from tests.helpers import login_as
from tests.helpers import post_form


def test_bookmark_toggle_and_own_list(app, client, make_user, make_thread):
    thread = make_thread(title="Perpustakaan keliling dengan sepeda")
    owner, other = make_user(), make_user()
    login_as(client, owner)
    response = post_form(
        client,
        f"/threads/{thread.id}/bookmark",
        {"next": f"/threads/{thread.id}#thread-actions"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/threads/{thread.id}#thread-actions")
    assert "Perpustakaan keliling dengan sepeda" in client.get("/bookmarks").get_data(as_text=True)

    other_client = app.test_client()
    login_as(other_client, other)
    assert "Perpustakaan keliling" not in other_client.get("/bookmarks").get_data(as_text=True)

    post_form(client, f"/threads/{thread.id}/bookmark")  # toggles off
    assert count_rows(app, Bookmark) == 0
    assert "Perpustakaan keliling" not in client.get("/bookmarks").get_data(as_text=True)


def test_hidden_threads_leave_members_bookmarks(app, client, make_user, make_thread):
    thread = make_thread(title="Utas yang nanti disembunyikan")
    login_as(client, make_user())
    post_form(client, f"/threads/{thread.id}/bookmark")
    with app_db(app) as session:
        session.execute(sa.update(Thread).where(Thread.id == thread.id).values(hidden=True))
        session.commit()
    assert "Utas yang nanti disembunyikan" not in client.get("/bookmarks").get_data(as_text=True)
    assert post_form(client, f"/threads/{thread.id}/bookmark").status_code == 404


def test_bookmark_without_csrf_is_refused(app, client, make_user, make_thread):
    thread = make_thread()
    login_as(client, make_user())
    assert client.post(f"/threads/{thread.id}/bookmark").status_code == 400
    assert client.post(f"/threads/{thread.id}/follow").status_code == 400
    assert client.post("/tags/literasi/follow").status_code == 400
    assert count_rows(app, Bookmark) == 0


def test_thread_page_offers_follow_and_bookmark_buttons(app, client, make_user, make_thread):
    author = make_user()
    thread = make_thread(author)
    client.set_cookie("lang", "en")
    assert "/follow" not in client.get(f"/threads/{thread.id}").get_data(as_text=True)  # visitor
    login_as(client, author)
    html = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    # The author follows their own thread from the start.
    assert f'action="/threads/{thread.id}/unfollow"' in html
    assert f'action="/threads/{thread.id}/bookmark"' in html
    post_form(client, f"/threads/{thread.id}/unfollow")
    html = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert f'action="/threads/{thread.id}/follow"' in html
    with app_db(app) as session:
        assert session.get(ThreadFollow, (author.id, thread.id)).active is False


def test_following_an_unused_tag_creates_it(app, client, make_user):
    login_as(client, make_user())
    response = post_form(client, "/tags/perpustakaan-keliling/follow")
    assert response.status_code == 302
    with app_db(app) as session:
        assert session.scalar(sa.select(Tag.name)) == "perpustakaan-keliling"
    assert count_rows(app, TagFollow) == 1
    page = client.get("/threads?tag=perpustakaan-keliling").get_data(as_text=True)
    assert 'action="/tags/perpustakaan-keliling/unfollow"' in page
    assert "#perpustakaan-keliling" in client.get("/settings/notifications").get_data(as_text=True)
    post_form(client, "/tags/perpustakaan-keliling/unfollow")
    assert count_rows(app, TagFollow) == 0


def test_unusable_tag_name_is_404(app, client, make_user):
    login_as(client, make_user())
    assert post_form(client, "/tags/%21%21%21/follow").status_code == 404


def test_thread_page_queries_stay_constant_for_members(
    app, client, make_user, make_thread, make_reply, count_queries
):
    """Marks, follow and bookmark state cost the same few queries however many replies."""
    small, large = make_thread(), make_thread()
    replies = [make_reply(large) for _ in range(25)] + [make_reply(small)]
    login_as(client, make_user())
    for reply in replies[:3]:
        post_form(client, f"/posts/{reply.id}/helpful")
    post_form(client, f"/threads/{large.id}/bookmark")
    client.get(f"/threads/{small.id}")
    with count_queries() as few:
        assert client.get(f"/threads/{small.id}").status_code == 200
    with count_queries() as many:
        html = client.get(f"/threads/{large.id}").get_data(as_text=True)
    assert html.count('aria-pressed="true"') == 4  # three marks and the bookmark
    assert len(many) == len(few)
