"""Cross-area events fire inside the writing transaction: a failing listener undoes the write.

The thread and moderation services announce what they did (:mod:`forum.events`);
engagement listens. If any listener fails, nothing of the write remains: no
post, no follow, no notification, no log entry, even if the caller commits.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum import events
from forum.engagement.models import Notification
from forum.engagement.models import ThreadFollow
from forum.extensions import db
from forum.models import Post
from forum.models import Tag
from forum.models import Thread
from forum.models import User
from forum.moderation import service as moderation
from forum.moderation.models import ModerationAction
from forum.threads import service as threads
from tests.helpers import count_rows
from tests.helpers import login_as
from tests.helpers import post_form


class ListenerFailed(RuntimeError):
    pass


def failing_listener(sender, **kwargs):
    raise ListenerFailed("a listener broke")


def test_a_reply_is_announced_once_inside_its_transaction(app, make_thread, make_user):
    thread = make_thread()
    replier = make_user()
    seen = []

    def listener(post, **kwargs):
        seen.append((post.id, post.body, db.session().in_nested_transaction()))

    with app.app_context(), events.reply_created.connected_to(listener):
        post = threads.create_reply(
            db.session.get(User, replier.id), db.session.get(Thread, thread.id), "Setuju."
        )
        assert seen == [(post.id, "Setuju.", True)]  # flushed, inside the write's savepoint
        db.session.rollback()
    assert count_rows(app, Post) == 1  # the caller did not commit: only the opening post


def test_a_failing_listener_undoes_the_whole_reply(app, make_thread, make_user):
    author = make_user()
    thread = make_thread(author)
    replier = make_user()
    with app.app_context():
        before = db.session.get(Thread, thread.id).last_activity_at
    with app.app_context(), events.reply_created.connected_to(failing_listener):
        with pytest.raises(ListenerFailed):
            threads.create_reply(
                db.session.get(User, replier.id),
                db.session.get(Thread, thread.id),
                "Balasan yang tidak boleh tersisa, @" + author.username,
            )
        db.session.commit()  # even a caller that commits anyway keeps nothing half-done
    assert count_rows(app, Post) == 1
    assert count_rows(app, Notification) == 0
    with app.app_context():
        assert db.session.get(ThreadFollow, (replier.id, thread.id)) is None
        assert db.session.get(Thread, thread.id).last_activity_at == before


def test_a_failing_listener_undoes_the_new_thread_and_its_tags(app, make_user):
    author = make_user()
    with app.app_context(), events.thread_created.connected_to(failing_listener):
        with pytest.raises(ListenerFailed):
            threads.create_thread(
                db.session.get(User, author.id),
                "practice",
                "Kelas membaca untuk lansia",
                "Setiap Kamis sore.",
                ["literasi-lansia"],
            )
        db.session.commit()
    assert count_rows(app, Thread) == 0
    assert count_rows(app, Post) == 0
    assert count_rows(app, Tag) == 0
    assert count_rows(app, ThreadFollow) == 0


def test_a_failing_listener_undoes_a_hide_and_its_log_entry(app, make_thread, make_user):
    thread = make_thread()
    facilitator = make_user(role="facilitator")
    with app.app_context(), events.post_moderated.connected_to(failing_listener):
        with pytest.raises(ListenerFailed):
            moderation.hide_thread(
                db.session.get(User, facilitator.id), db.session.get(Thread, thread.id), "spam"
            )
        db.session.commit()
    with app.app_context():
        assert db.session.scalar(sa.select(Thread.hidden).where(Thread.id == thread.id)) is False
    assert count_rows(app, ModerationAction) == 0
    assert count_rows(app, Notification) == 0


def test_a_failing_listener_on_the_web_keeps_nothing_of_the_reply(app, make_thread, make_user):
    thread = make_thread()
    replier = make_user()
    client = app.test_client()
    login_as(client, replier)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # the member sees the error page, not a traceback
    with events.reply_created.connected_to(failing_listener):
        response = post_form(
            client,
            f"/threads/{thread.id}/replies",
            {"body": "Balasan yang gagal."},
            page=f"/threads/{thread.id}",
        )
    assert response.status_code == 500
    assert count_rows(app, Post) == 1
    assert count_rows(app, ThreadFollow) == 1  # only the author's own follow


def test_engagement_hears_each_event_once_however_many_apps_were_made(app, make_thread, make_user):
    from forum import create_app

    create_app(app.config.copy())  # a second app in the same process subscribes again
    thread = make_thread()
    replier = make_user()
    with app.app_context():
        threads.create_reply(
            db.session.get(User, replier.id), db.session.get(Thread, thread.id), "Setuju."
        )
        db.session.commit()
    assert count_rows(app, Notification) == 1  # the author hears of the reply once


def _png() -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_reply_with_a_refused_file_changes_nothing_not_even_the_draft(
    app, make_thread, make_user
):
    """One service call: the reply, its files and the discarded draft, or none of them."""
    from forum.attachments import service as attachments
    from forum.attachments.models import Attachment
    from forum.models import Draft
    from forum.refusals import Refusal
    from forum.threads import drafts

    thread = make_thread()
    replier = make_user()
    app.config["ATTACHMENT_MAX_FILES"] = 1
    with app.test_request_context():  # a refusal's reason is in the member's language
        member = db.session.get(User, replier.id)
        drafts.save_draft(
            member, {"body": "Setengah jadi"}, thread=db.session.get(Thread, thread.id)
        )
        db.session.commit()
        files = [attachments.prepare(_png(), "a.png"), attachments.prepare(_png(), "b.png")]
        with pytest.raises(Refusal) as refused:
            threads.create_reply(
                member,
                db.session.get(Thread, thread.id),
                "Dengan dua foto.",
                files=files,
                discard_draft=True,
            )
        assert refused.value.field == "files"
        db.session.commit()
    assert count_rows(app, Post) == 1
    assert count_rows(app, Attachment) == 0
    assert count_rows(app, Draft) == 1
    assert count_rows(app, Notification) == 0
