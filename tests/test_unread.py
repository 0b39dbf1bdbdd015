"""Unread tracking: lists say how many replies are new to a member, and a link lands on the first.

The thread page's GET only reads: the member's read position moves forward
after the page has been sent (when the server closes the response), never
backwards, and a page that shows nothing newer writes nothing.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from forum.engagement.models import ThreadRead
from tests.helpers import app_db
from tests.helpers import client_for
from tests.helpers import count_rows


def read_position(app, user, thread) -> int | None:
    with app_db(app) as session:
        return session.scalar(
            sa.select(ThreadRead.last_read_post_id).where(
                ThreadRead.user_id == user.id, ThreadRead.thread_id == thread.id
            )
        )


def read(client, url: str):
    """Open a page as a browser does: the server sends it, then closes the response."""
    response = client.get(url)
    assert response.status_code == 200, url
    response.close()
    return response


def new_badge(client, thread) -> str | None:
    """The "N new" badge beside the thread in the full list, if any."""
    html = client.get("/threads").get_data(as_text=True)
    match = re.search(rf'<a class="badge new" href="/threads/{thread.id}/unread">([^<]+)</a>', html)
    return match.group(1) if match else None


@pytest.fixture
def discussion(make_user, make_thread, make_reply):
    author = make_user("rina")
    reader = make_user("budi")
    thread = make_thread(author, title="Buku rusak karena banjir")
    first = make_reply(thread, author, body="Kami menjemurnya dulu.")
    return {"author": author, "reader": reader, "thread": thread, "first": first}


def test_the_position_is_written_after_the_page_is_sent(app, discussion):
    reader, thread = discussion["reader"], discussion["thread"]
    client = client_for(app, reader)
    response = client.get(f"/threads/{thread.id}")
    assert response.status_code == 200
    assert read_position(app, reader, thread) is None  # the page is out, nothing written yet
    response.close()
    assert read_position(app, reader, thread) == discussion["first"].id


def test_a_list_counts_the_replies_since_the_member_last_read(app, discussion, make_reply):
    reader, thread, author = discussion["reader"], discussion["thread"], discussion["author"]
    client = client_for(app, reader)
    assert new_badge(client, thread) is None  # never opened: nothing is "new"
    read(client, f"/threads/{thread.id}")
    assert new_badge(client, thread) is None
    make_reply(thread, author, body="Lalu kami bungkus plastik.")
    make_reply(thread, author, body="Dan kami simpan di rak atas.")
    make_reply(thread, reader, body="Terima kasih!")  # their own reply is not news to them
    assert new_badge(client, thread) == "2 new"
    read(client, f"/threads/{thread.id}")
    assert new_badge(client, thread) is None


def test_hidden_and_withdrawn_replies_are_not_new(app, discussion, make_reply, make_user):
    reader, thread = discussion["reader"], discussion["thread"]
    client = client_for(app, reader)
    read(client, f"/threads/{thread.id}")
    make_reply(thread, make_user("troll"), body="Iklan", hidden=True)
    make_reply(thread, discussion["author"], body="Salah kirim", withdrawn_at=sa.func.now())
    assert new_badge(client, thread) is None
    make_reply(thread, discussion["author"], body="Ini yang benar.")
    assert new_badge(client, thread) == "1 new"


def test_unread_lands_on_the_first_new_reply_on_its_page(app, discussion, make_reply):
    app.config["REPLIES_PER_PAGE"] = 2
    reader, thread, author = discussion["reader"], discussion["thread"], discussion["author"]
    client = client_for(app, reader)
    make_reply(thread, author, body="Balasan kedua.")
    read(client, f"/threads/{thread.id}")  # page 1: the first two replies
    third = make_reply(thread, author, body="Balasan ketiga.")
    make_reply(thread, author, body="Balasan keempat.")
    response = client.get(f"/threads/{thread.id}/unread")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/threads/{thread.id}?page=2#post-{third.id}"
    page = client.get(f"/threads/{thread.id}?page=2").get_data(as_text=True)
    assert page.count('<span class="badge new">New</span>') == 2


def test_unread_without_anything_new_lands_on_the_newest_reply(app, discussion, make_reply):
    reader, thread = discussion["reader"], discussion["thread"]
    client = client_for(app, reader)
    read(client, f"/threads/{thread.id}")
    response = client.get(f"/threads/{thread.id}/unread")
    assert response.headers["Location"] == f"/threads/{thread.id}#post-{discussion['first'].id}"


@pytest.mark.parametrize("who", ["visitor", "never_opened"])
def test_unread_starts_at_the_top_for_who_never_read_it(app, discussion, who):
    thread = discussion["thread"]
    client = client_for(app, None if who == "visitor" else discussion["reader"])
    response = client.get(f"/threads/{thread.id}/unread")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/threads/{thread.id}"


def test_unread_of_a_thread_the_viewer_cannot_see_is_not_found(app, discussion, make_thread):
    hidden = make_thread(discussion["author"], title="Disembunyikan", hidden=True)
    client = client_for(app, discussion["reader"])
    assert client.get(f"/threads/{hidden.id}/unread").status_code == 404


def test_the_position_never_moves_back_and_an_old_page_writes_nothing(
    app, discussion, make_reply, count_queries
):
    app.config["REPLIES_PER_PAGE"] = 1
    reader, thread, author = discussion["reader"], discussion["thread"], discussion["author"]
    second = make_reply(thread, author, body="Balasan kedua.")
    client = client_for(app, reader)
    read(client, f"/threads/{thread.id}?page=2")
    assert read_position(app, reader, thread) == second.id
    with count_queries() as statements:
        read(client, f"/threads/{thread.id}")  # page 1 again: older posts
    writes = [s for s in statements if "thread_reads" in s and not s.lstrip().startswith("SELECT")]
    assert writes == []
    assert read_position(app, reader, thread) == second.id


def test_a_visitor_reading_writes_no_position(app, discussion):
    read(client_for(app), f"/threads/{discussion['thread'].id}")
    assert count_rows(app, ThreadRead) == 0


def test_a_members_list_is_never_answered_from_a_stale_copy(app, discussion, make_reply):
    """Visitors' pages revalidate with an ETag; a member's list always renders fresh counts."""
    reader, thread = discussion["reader"], discussion["thread"]
    client = client_for(app, reader)
    read(client, f"/threads/{thread.id}")
    first = client.get("/threads")
    assert "ETag" not in first.headers
    make_reply(thread, discussion["author"], body="Kabar baru.")
    again = client.get("/threads", headers={"If-None-Match": 'W/"anything"'})
    assert again.status_code == 200
    assert new_badge(client, thread) == "1 new"


def test_a_failed_write_after_the_page_is_logged_not_shown(app, discussion, caplog, monkeypatch):
    from forum.engagement import reads

    def broken(*args):
        raise sa.exc.OperationalError("UPDATE thread_reads", {}, Exception("database is locked"))

    monkeypatch.setattr(reads, "record_read", broken)
    client = client_for(app, discussion["reader"])
    response = client.get(f"/threads/{discussion['thread'].id}")
    assert response.status_code == 200
    response.close()
    assert "after the response: broken failed" in caplog.text
    assert count_rows(app, ThreadRead) == 0
