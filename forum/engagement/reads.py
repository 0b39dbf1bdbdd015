"""Unread tracking: how far a member has read each thread, and what is new since.

A thread page's GET only reads: it looks up the member's position, and when the
page showed newer posts it asks :func:`forum.http.after_response` to move the
position forward once the page is sent, in its own short transaction. The
write itself only moves forward too (``WHERE last_read_post_id < new``), so two
tabs or workers finishing in any order keep the newest position.

"New" counts only public replies (not hidden, not withdrawn, not the member's
own) past the position; a thread the member never opened has no position and
shows no count (a newcomer's lists are not all "new").
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from ..extensions import db
from ..http import after_response
from ..models import Post
from ..models import Thread
from .models import ThreadRead


def _member_id(user) -> int | None:
    return user.id if user is not None and user.is_authenticated else None


def _public_replies(thread_id_clause, member_id: int):
    """Public replies by others (what "new" counts), as a WHERE condition."""
    return sa.and_(
        thread_id_clause,
        Post.is_opening.is_(False),
        Post.is_public,
        Post.author_id != member_id,
    )


def unread_counts(user, threads: Iterable[Thread]) -> dict[int, int]:
    """New replies per thread id since the member last read it: one query for a whole list."""
    member_id = _member_id(user)
    ids = [thread.id for thread in threads]
    if member_id is None or not ids:
        return {}
    rows = db.session.execute(
        sa.select(Post.thread_id, sa.func.count(Post.id))
        .join(
            ThreadRead,
            sa.and_(ThreadRead.thread_id == Post.thread_id, ThreadRead.user_id == member_id),
        )
        .where(_public_replies(Post.thread_id.in_(ids), member_id))
        .where(Post.id > ThreadRead.last_read_post_id)
        .group_by(Post.thread_id)
    )
    return {thread_id: count for thread_id, count in rows}


def read_position(user, thread: Thread) -> int | None:
    """The newest post id the member was shown in this thread, ``None`` if never opened."""
    member_id = _member_id(user)
    if member_id is None:
        return None
    return db.session.scalar(
        sa.select(ThreadRead.last_read_post_id).where(
            ThreadRead.user_id == member_id, ThreadRead.thread_id == thread.id
        )
    )


def first_unread(user, thread: Thread) -> Post | None:
    """The first new reply; the newest reply when nothing is new; ``None`` for the top.

    A member who never opened the thread starts at the top, like a visitor.
    """
    member_id = _member_id(user)
    position = read_position(user, thread)
    if member_id is None or position is None:
        return None
    replies = sa.select(Post).where(_public_replies(Post.thread_id == thread.id, member_id))
    first_new = db.session.scalar(
        replies.where(Post.id > position).order_by(Post.created_at, Post.id).limit(1)
    )
    if first_new is not None:
        return first_new
    return db.session.scalar(replies.order_by(Post.created_at.desc(), Post.id.desc()).limit(1))


UNKNOWN = object()  # remember_reading: the position was not read yet


def remember_reading(
    user, thread: Thread, shown_post_ids: Iterable[int], position=UNKNOWN
) -> int | None:
    """Move the member's position to the newest post shown, after the page is sent.

    Returns the position before this page (``None`` if never opened), which the
    page uses to mark what is new to the member. ``position``: that position, when
    the page read it already (:func:`forum.engagement.service.thread_engagement`).
    """
    member_id = _member_id(user)
    if member_id is None:
        return None
    if position is UNKNOWN:
        position = read_position(user, thread)
    newest = max(shown_post_ids, default=None)
    if newest is not None and (position is None or newest > position):
        after_response(record_read, member_id, thread.id, newest)
    return position


def record_read(user_id: int, thread_id: int, post_id: int) -> None:
    """Insert or move forward a read position, and commit: one statement, its own transaction."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ThreadRead).values(
        user_id=user_id, thread_id=thread_id, last_read_post_id=post_id
    )
    statement = statement.on_conflict_do_update(
        index_elements=[ThreadRead.user_id, ThreadRead.thread_id],
        set_={"last_read_post_id": statement.excluded.last_read_post_id},
        where=ThreadRead.last_read_post_id < statement.excluded.last_read_post_id,
    )
    db.session.execute(statement)
    db.session.commit()
