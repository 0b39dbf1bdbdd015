"""A member's own data: download it as JSON, or delete the account.

Deletion keeps the member's posts, so threads have no holes, but takes away
everything that names them: username, display name, e-mail, profile, library
link, password and sessions. Their posts then show "former member" (translated
when shown, see ``User.display_name``), and the search index re-indexes them on
commit (``User.search_changes``), so the old name is found nowhere.

Rows that the schema says belong to a member alone (a foreign key to
``users.id`` with ``ON DELETE CASCADE``: drafts, login failures, and whatever a
feature adds that way) are exported and deleted without this module naming
them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import Post
from ..models import Thread
from ..models import User
from ..models import utcnow
from ..moderation.models import Flag
from ..moderation.models import PasswordResetToken

# No werkzeug hash has this form: check_password_hash() is always False for it.
UNUSABLE_PASSWORD = "!deleted"
EXPORT_FORMAT = 1


# Member-owned rows that deletion keeps: helpful marks are counted into
# threads/posts (helpful_count), and stay tied to the now anonymous row.
KEPT_ON_DELETION = frozenset({"helpful_marks"})


def _owned_tables(*, deleting: bool = False) -> Iterator[tuple[sa.Table, sa.Column]]:
    """Tables whose rows die with their member (``ON DELETE CASCADE`` to ``users.id``)."""
    users = User.__table__
    for table in db.metadata.sorted_tables:
        if deleting and table.name in KEPT_ON_DELETION:
            continue
        for fk in table.foreign_keys:
            if fk.column.table is users and (fk.ondelete or "").upper() == "CASCADE":
                yield table, fk.parent


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None  # nothing a member wrote is binary; never dump blobs
    return value


def _row(mapping) -> dict[str, Any]:
    return {key: _plain(value) for key, value in mapping.items()}


def export_data(user: User) -> dict[str, Any]:
    """Everything the forum keeps about ``user`` that they wrote or set, as plain JSON data.

    Only the member's own rows: their profile, every post they wrote (also
    hidden or withdrawn ones: they are still theirs), the titles of threads they
    opened, their flags and their own rows in member-owned tables. Nothing that
    another member wrote.
    """
    library = user.library
    posts = db.session.execute(
        sa.select(Post, Thread.title)
        .join(Post.thread)
        .where(Post.author_id == user.id)
        .order_by(Post.created_at, Post.id)
    ).all()
    flags = db.session.scalars(
        sa.select(Flag).where(Flag.reporter_id == user.id).order_by(Flag.id)
    ).all()
    owned = {}
    for table, column in _owned_tables():
        rows = db.session.execute(sa.select(table).where(column == user.id)).mappings()
        owned[table.name] = [_row(row) for row in rows]
    return {
        "format": EXPORT_FORMAT,
        "exported_at": utcnow().isoformat(),
        "profile": {
            "username": user.username,
            "display_name": user.display_name,
            "email": user.email,
            "role": user.role,
            "timezone": user.timezone,
            "language": user.locale,
            "created_at": user.created_at.isoformat(),
            "library": None
            if library is None
            else {
                "name": library.name,
                "village": library.village,
                "district": library.district,
                "regency": library.regency,
                "province": library.province,
            },
        },
        "posts": [
            {
                "id": post.id,
                "thread_id": post.thread_id,
                # A thread's title is its opener's: only for threads this member opened.
                "thread_title": title if post.is_opening else None,
                "is_opening": post.is_opening,
                "body": post.body,
                "created_at": _plain(post.created_at),
                "edited_at": _plain(post.edited_at),
                "hidden": post.hidden,
                "withdrawn_at": _plain(post.withdrawn_at),
            }
            for post, title in posts
        ],
        "flags": [
            {
                "post_id": flag.post_id,
                "reason": flag.reason,
                "details": flag.details,
                "created_at": _plain(flag.created_at),
            }
            for flag in flags
        ],
        "other": owned,
    }


def export_json(user: User) -> str:
    return json.dumps(export_data(user), ensure_ascii=False, indent=2)


def delete_account(user: User) -> None:
    """Anonymise ``user`` for good; their posts stay, under "former member". The caller commits.

    The username becomes ``deleted-<id>``, which registration can never give
    (usernames are letters, digits and ``_``), and the profile answers 404. The
    old username is free again: keeping it reserved would mean keeping it.
    """
    from ..stored_html import forget_mention_links

    old_username = user.username
    user.deleted_at = utcnow()
    user.username = f"deleted-{user.id}"
    user.stored_display_name = ""
    user.email = f"deleted-{user.id}@deleted.invalid"  # unique, and never deliverable
    user.password_hash = UNUSABLE_PASSWORD
    user.rotate_session_token()  # every session and remember-me cookie ends now
    user.library = None
    user.locale = None
    user.suspension_reason = None
    # Another member could otherwise still set a password through an old link.
    db.session.execute(sa.delete(PasswordResetToken).where(PasswordResetToken.user_id == user.id))
    for table, column in _owned_tables(deleting=True):
        db.session.execute(sa.delete(table).where(column == user.id))
    forget_mention_links(old_username)  # "@name" in others' posts stops linking to them
