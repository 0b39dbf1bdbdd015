"""Engagement's own rows: helpful marks, follows, bookmarks, mentions and notifications.

The helpful counts themselves live on ``threads`` and ``posts`` (``helpful_count``),
kept in the same transaction as the marks, so lists sort and show them without
counting rows.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from ..models import Post
from ..models import Tag
from ..models import Thread
from ..models import User
from ..models import UTCDateTime
from ..models import utcnow

# In priority order: when one event concerns a member in several ways (a reply
# in a followed thread that also mentions them), they get the first kind they
# want, once.
NOTIFICATION_KINDS = (
    "mention",
    "accepted",
    "adoption",
    "moderation",
    "support",
    "reply",
    "new_thread",
    "library",  # someone asks to join the member's library, or hears the answer
)
# Kinds about other people's public posts: these disappear when that post is
# hidden or withdrawn. A moderator's action on your own post is always shown.
PUBLIC_POST_KINDS = ("mention", "accepted", "adoption", "support", "reply", "new_thread")


def _user_fk(**kwargs):
    return sa.ForeignKey("users.id", ondelete="CASCADE", **kwargs)


class HelpfulMark(db.Model):
    """A member found a post helpful (marking a thread marks its opening post)."""

    __tablename__ = "helpful_marks"

    user_id: so.Mapped[int] = so.mapped_column(_user_fk(), primary_key=True)
    post_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class ThreadFollow(db.Model):
    """A member follows a thread's replies.

    ``active`` is False once they unfollow: the row stays so that replying
    again does not quietly follow the thread they chose to leave.
    """

    __tablename__ = "thread_follows"

    user_id: so.Mapped[int] = so.mapped_column(_user_fk(), primary_key=True)
    thread_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class TagFollow(db.Model):
    """A member hears about new threads with this tag."""

    __tablename__ = "tag_follows"

    user_id: so.Mapped[int] = so.mapped_column(_user_fk(), primary_key=True)
    tag_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    tag: so.Mapped[Tag] = so.relationship()


class Bookmark(db.Model):
    """A thread a member keeps for later (seen only by them)."""

    __tablename__ = "bookmarks"

    user_id: so.Mapped[int] = so.mapped_column(_user_fk(), primary_key=True)
    thread_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    thread: so.Mapped[Thread] = so.relationship()


class Mention(db.Model):
    """``@username`` in a post, resolved to the member when the post was saved.

    Pages link only these names (one query per page), and an edit notifies only
    members who were not already mentioned in the post.
    """

    __tablename__ = "mentions"

    post_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: so.Mapped[int] = so.mapped_column(_user_fk(), primary_key=True, index=True)


class Notification(db.Model):
    """Something a member may want to know; shown in the app, e-mailed in a digest, or both."""

    __tablename__ = "notifications"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(_user_fk())  # the recipient
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    actor_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # None for a notification about a library (a join request), not a thread.
    thread_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("threads.id", ondelete="CASCADE"), index=True
    )
    post_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("posts.id", ondelete="CASCADE"), index=True
    )
    action: so.Mapped[str | None] = so.mapped_column(sa.String(20))  # a moderation action
    in_app: so.Mapped[bool] = so.mapped_column(default=True)
    email: so.Mapped[bool] = so.mapped_column(default=False)  # goes into the next digest
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    read_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    emailed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    user: so.Mapped[User] = so.relationship(foreign_keys=[user_id])
    actor: so.Mapped[User | None] = so.relationship(foreign_keys=[actor_id])
    thread: so.Mapped[Thread | None] = so.relationship()
    post: so.Mapped[Post | None] = so.relationship()

    __table_args__ = (
        sa.Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
        sa.CheckConstraint(
            "kind IN (" + ", ".join(f"'{kind}'" for kind in NOTIFICATION_KINDS) + ")",
            name="kind",
        ),
    )


class DigestClaim(db.Model):
    """One member's e-mail digest for one period, claimed by the run that sends it.

    The claim is committed before the mail goes out, and the primary key refuses a
    second one: however many servers or workers run the digest at once, one sends
    (:mod:`forum.engagement.mail`). ``sent_at`` is set with the notifications'
    ``emailed_at`` once the mail server accepted the message; an unsent claim older
    than the lease (a run that died) is taken over by the next run.
    """

    __tablename__ = "digest_claims"

    user_id: so.Mapped[int] = so.mapped_column(_user_fk(), primary_key=True)
    period_start: so.Mapped[datetime] = so.mapped_column(UTCDateTime, primary_key=True)
    claimed_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)


class NotificationSetting(db.Model):
    """A member's choice for one kind: in the app, in the e-mail digest.

    No row means the default: in the app yes, by e-mail no (e-mail is opt-in).
    """

    __tablename__ = "notification_settings"

    user_id: so.Mapped[int] = so.mapped_column(_user_fk(), primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(20), primary_key=True)
    in_app: so.Mapped[bool] = so.mapped_column(default=True)
    email: so.Mapped[bool] = so.mapped_column(default=False)


class ThreadRead(db.Model):
    """How far a member has read a thread: the newest post a page of it showed them.

    Written after the page is sent, and only when it moves forward
    (:mod:`forum.engagement.reads`); the lists count the public replies past it.
    """

    __tablename__ = "thread_reads"

    user_id: so.Mapped[int] = so.mapped_column(_user_fk(), primary_key=True)
    thread_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    last_read_post_id: so.Mapped[int]
