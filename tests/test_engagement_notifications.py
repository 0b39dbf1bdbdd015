"""Notifications: who hears about what, once, as they chose; the bell, the list, reading."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.engagement import service
from forum.engagement.models import Notification
from forum.engagement.models import ThreadFollow
from forum.extensions import db
from forum.models import Post
from forum.models import Thread
from forum.models import User
from forum.moderation import service as moderation
from forum.threads import service as threads
from tests.helpers import app_db
from tests.helpers import count_rows
from tests.helpers import login_as
from tests.helpers import post_form


def english(client):
    client.set_cookie("lang", "en")
    return client


def notifications_of(app, user) -> list[tuple[str, int | None]]:
    """(kind, post id) of the member's notifications, oldest first."""
    with app_db(app) as session:
        rows = session.execute(
            sa.select(Notification.kind, Notification.post_id)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id)
        )
        return [tuple(row) for row in rows]


def member_client(app, user):
    """A browser of its own, logged in as ``user``, reading English pages."""
    client = english(app.test_client())
    login_as(client, user)
    return client


def reply_as(app, user, thread, body="Kami juga mencoba ini di desa kami."):
    """Reply through the web form, as ``user``, from a browser of their own."""
    client = member_client(app, user)
    response = post_form(client, f"/threads/{thread.id}/replies", {"body": body}, page="/")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response


def test_author_hears_of_a_reply_once_and_the_replier_not_at_all(
    app, client, make_user, make_thread
):
    author, replier = make_user(), make_user()
    thread = make_thread(author)
    reply_as(app, replier, thread)
    assert [kind for kind, _ in notifications_of(app, author)] == ["reply"]
    assert notifications_of(app, replier) == []
    with app_db(app) as session:  # repliers follow the thread they joined
        assert session.get(ThreadFollow, (replier.id, thread.id)).active


def test_followers_hear_of_replies_and_unfollowing_stops_it(app, client, make_user, make_thread):
    author, reader, replier = make_user(), make_user(), make_user()
    thread = make_thread(author)
    reader_client = app.test_client()
    login_as(reader_client, reader)
    assert post_form(reader_client, f"/threads/{thread.id}/follow").status_code == 302
    reply_as(app, replier, thread, "Balasan pertama")
    assert [kind for kind, _ in notifications_of(app, reader)] == ["reply"]

    post_form(reader_client, f"/threads/{thread.id}/unfollow")
    reply_as(app, replier, thread, "Balasan kedua")
    assert len(notifications_of(app, reader)) == 1
    # An author who unfollows stays unfollowed, even after replying again.
    author_client = app.test_client()
    login_as(author_client, author)
    post_form(author_client, f"/threads/{thread.id}/unfollow")
    reply_as(app, author, thread, "Terima kasih semuanya")
    reply_as(app, replier, thread, "Balasan ketiga")
    assert [kind for kind, _ in notifications_of(app, author)] == ["reply", "reply"]


def test_a_mentioned_follower_gets_one_notification_not_two(app, client, make_user, make_thread):
    author = make_user("rina_lestari")
    thread = make_thread(author)
    reply_as(app, make_user(), thread, "Setuju dengan @rina_lestari, terima kasih!")
    assert [kind for kind, _ in notifications_of(app, author)] == ["mention"]


def test_a_mentioned_follower_who_turned_mentions_off_still_hears_of_the_reply(
    app, client, make_user, make_thread
):
    author = make_user("rina_lestari")
    thread = make_thread(author)
    with app_db(app) as session:
        service.save_settings(session.get(User, author.id), {"mention": (False, False)})
        session.commit()
    reply_as(app, make_user(), thread, "Setuju dengan @rina_lestari")
    assert [kind for kind, _ in notifications_of(app, author)] == ["reply"]


def test_tag_followers_hear_of_new_threads(app, client, make_user, make_thread):
    follower = make_user()
    login_as(client, follower)
    response = post_form(client, "/tags/Literasi Digital/follow")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/threads?tag=literasi-digital")
    make_thread(tags=("literasi-digital",), title="Kelas komputer untuk ibu-ibu")
    make_thread(tags=("pojok-baca",))
    assert [kind for kind, _ in notifications_of(app, follower)] == ["new_thread"]
    # Nobody is told about their own thread.
    make_thread(follower, tags=("literasi-digital",))
    assert len(notifications_of(app, follower)) == 1


def test_accepted_answer_tells_its_author(app, client, make_user, make_thread, make_reply):
    asker, helper = make_user(), make_user()
    thread = make_thread(asker, kind="challenge")
    reply = make_reply(thread, helper)
    login_as(client, asker)
    post_form(client, f"/threads/{thread.id}/solve", {"post_id": str(reply.id)})
    assert notifications_of(app, helper) == [("accepted", reply.id)]
    assert ("accepted", reply.id) not in notifications_of(app, asker)  # the actor


def test_moderator_actions_tell_the_author(app, make_user, make_thread, make_reply):
    facilitator, author = make_user(role="facilitator"), make_user()
    thread = make_thread(author)
    reply = make_reply(thread, author)
    with app_db(app) as session:
        actor = session.get(User, facilitator.id)
        moderation.hide_post(actor, session.get(Post, reply.id), "Berisi nomor telepon pribadi")
        moderation.lock(actor, session.get(Thread, thread.id))
        moderation.pin(actor, session.get(Thread, thread.id))  # nothing the author must know
        session.commit()
        actions = session.scalars(
            sa.select(Notification.action)
            .where(Notification.user_id == author.id, Notification.kind == "moderation")
            .order_by(Notification.id)
        ).all()
    assert actions == ["hide_post", "lock"]


def test_hidden_posts_notify_nobody(app, client, make_user, make_thread, make_reply):
    author, facilitator = make_user(), make_user(role="facilitator")
    thread = make_thread(author)
    spam = make_reply(thread, body="Beli obat murah di sini")
    assert len(notifications_of(app, author)) == 1
    with app_db(app) as session:
        moderation.hide_post(session.get(User, facilitator.id), session.get(Post, spam.id), "spam")
        session.commit()
    login_as(english(client), author)
    html = client.get("/notifications").get_data(as_text=True)
    assert "replied in" not in html  # the hidden reply's notification is gone
    assert unread_in_bell(html) is None
    # The spammer's later edit with a mention of the author tells nobody either.
    with app_db(app) as session:
        threads.edit_post(
            session.get(User, spam.author_id), session.get(Post, spam.id), "@x hubungi saya"
        )
        session.commit()
    assert len(notifications_of(app, author)) == 1


def test_withdrawn_reply_disappears_from_the_list(app, client, make_user, make_thread):
    author, replier = make_user(), make_user()
    thread = make_thread(author)
    reply_as(app, replier, thread)
    with app_db(app) as session:
        post = session.scalars(sa.select(Post).where(Post.author_id == replier.id)).one()
        threads.withdraw_post(session.get(User, replier.id), post)
        session.commit()
    author_client = english(app.test_client())
    login_as(author_client, author)
    assert "replied in" not in author_client.get("/notifications").get_data(as_text=True)


def test_preferences_are_respected(app, client, make_user, make_thread):
    author = make_user()
    thread = make_thread(author)
    login_as(client, author)
    data = {f"{kind}_in_app": "y" for kind in ("mention", "accepted", "moderation", "new_thread")}
    response = post_form(client, "/settings/notifications", data, page="/settings/notifications")
    assert response.status_code == 302
    reply_as(app, make_user(), thread)
    assert notifications_of(app, author) == []  # replies are off, in the app and by e-mail

    page = client.get("/settings/notifications").get_data(as_text=True)
    assert '<input id="reply_in_app"' in page
    assert '<input checked id="mention_in_app"' in page


def unread_in_bell(html: str) -> str | None:
    import re

    # The count inside the bell's link (after its icon and its word for screen readers).
    match = re.search(r'class="bell"(?:(?!</a>).)*?<span class="count"[^>]*>(\d+)<', html, re.S)
    return match.group(1) if match else None


def test_bell_list_and_mark_read(app, client, make_user, make_thread):
    author = make_user()
    first, second = (
        make_thread(author, title="Utas pertama"),
        make_thread(author, title="Utas kedua"),
    )
    reply_as(app, make_user(display_name="Dewi Kartika"), first)
    reply_as(app, make_user(), second)
    login_as(english(client), author)
    html = client.get("/notifications").get_data(as_text=True)
    assert unread_in_bell(html) == "2"
    assert "Dewi Kartika replied in “Utas pertama”." in html

    with app_db(app) as session:
        first_id = session.scalar(
            sa.select(Notification.id).where(Notification.thread_id == first.id)
        )
    response = post_form(client, f"/notifications/{first_id}/read", {"then": "open"})
    assert response.status_code == 302
    assert f"/threads/{first.id}#post-" in response.headers["Location"]
    assert unread_in_bell(client.get("/").get_data(as_text=True)) == "1"

    assert post_form(client, "/notifications/read-all").status_code == 302
    assert unread_in_bell(client.get("/").get_data(as_text=True)) is None


def test_a_member_cannot_read_or_mark_anothers_notifications(app, client, make_user, make_thread):
    author, stranger = make_user(), make_user()
    reply_as(app, make_user(), make_thread(author))
    with app_db(app) as session:
        notification_id = session.scalar(sa.select(Notification.id))
    login_as(client, stranger)
    assert "replied" not in client.get("/notifications").get_data(as_text=True)
    response = post_form(client, f"/notifications/{notification_id}/read")
    assert response.status_code == 404
    post_form(client, "/notifications/read-all")
    with app_db(app) as session:
        assert session.get(Notification, notification_id).read_at is None


def test_marking_read_without_csrf_is_refused(app, client, make_user, make_thread):
    author = make_user()
    reply_as(app, make_user(), make_thread(author))
    login_as(client, author)
    with app_db(app) as session:
        notification_id = session.scalar(sa.select(Notification.id))
    assert client.post(f"/notifications/{notification_id}/read").status_code == 400
    assert client.post("/notifications/read-all").status_code == 400
    assert client.post("/settings/notifications", data={}).status_code == 400
    with app_db(app) as session:
        assert session.get(Notification, notification_id).read_at is None


@pytest.mark.parametrize("path", ["/notifications", "/settings/notifications", "/bookmarks"])
def test_visitors_are_sent_to_log_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_notification_list_paginates(app, client, make_user, make_thread):
    author = make_user()
    app.config["NOTIFICATIONS_PER_PAGE"] = 2
    threads_ = [make_thread(author, title=f"Utas nomor {n}") for n in range(3)]
    for thread in threads_:
        reply_as(app, make_user(), thread)
    login_as(english(client), author)
    first = client.get("/notifications").get_data(as_text=True)
    assert "Utas nomor 2" in first and "Utas nomor 0" not in first
    assert 'rel="next"' in first
    assert "Utas nomor 0" in client.get("/notifications?page=2").get_data(as_text=True)


def test_bell_costs_one_query(app, client, make_user, make_thread, count_queries):
    author = make_user()
    login_as(client, author)
    client.get("/bookmarks")
    with count_queries() as without:
        client.get("/bookmarks")
    reply_as(app, make_user(), make_thread(author))
    with count_queries() as with_one:
        html = client.get("/bookmarks").get_data(as_text=True)
    assert unread_in_bell(html) == "1"
    assert len(with_one) == len(without)


def test_notify_helper_never_duplicates_within_one_event(app, make_user, make_thread):
    author = make_user()
    thread = make_thread(author)
    with app_db(app) as session:
        made = service._notify(
            {author.id: {"reply", "mention", "new_thread"}},
            actor_id=None,
            thread=session.get(Thread, thread.id),
        )
        session.commit()
        assert [n.kind for n in made] == ["mention"]
    assert count_rows(app, Notification) == 1
    with app.app_context():
        db.session.remove()


def test_notification_list_queries_do_not_grow(app, client, make_user, make_thread, count_queries):
    author = make_user()
    reply_as(app, make_user(), make_thread(author))
    login_as(client, author)
    client.get("/notifications")
    with count_queries() as one:
        client.get("/notifications")
    for _ in range(4):
        reply_as(app, make_user(), make_thread(author))
    with count_queries() as five:
        client.get("/notifications")
    assert len(five) == len(one)
