"""Moderation's own rows: flags, the moderation log, reset links and failed-login counts.

Hiding, pinning, locking and suspending change columns that threads, posts and
members already have (see :mod:`forum.models`); these tables only record who
asked for what, and when.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from ..models import Post
from ..models import Thread
from ..models import User
from ..models import UTCDateTime
from ..models import utcnow

FLAG_REASONS = ("spam", "off_topic", "rude", "private_data", "other")
FLAG_RESOLUTIONS = ("hide", "keep", "edit")
ACTIONS = (
    "pin",
    "unpin",
    "lock",
    "unlock",
    "hide_thread",
    "restore_thread",
    "hide_post",
    "restore_post",
    "move",
    "solve",
    "edit_post",
    "redact",  # an earlier version of a post, for privacy (forum/threads)
    "unredact",
    "resolve_flags",
    "suspend",
    "unsuspend",
    "set_role",
    "reset_link",
    "hide_attachment",  # forum/attachments
    "restore_attachment",
    "delete_attachment",
    "set_scope",  # a facilitator's regions
    "approve_member",  # forum/moderation/approval.py
    "refuse_member",
)


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


class Flag(db.Model):
    """A member's report that a post (or a thread's opening post) needs a facilitator.

    A thread is flagged through its opening post, so the queue has one kind of
    entry. Each member flags a post once; resolving closes all its open flags.
    """

    __tablename__ = "flags"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    post_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"))
    reporter_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    reason: so.Mapped[str] = so.mapped_column(sa.String(20))
    details: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    resolved_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime, index=True)
    resolved_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    resolution: so.Mapped[str | None] = so.mapped_column(sa.String(10))
    resolution_note: so.Mapped[str | None] = so.mapped_column(sa.String(500))

    post: so.Mapped[Post] = so.relationship()
    reporter: so.Mapped[User] = so.relationship(foreign_keys=[reporter_id])
    resolved_by: so.Mapped[User | None] = so.relationship(foreign_keys=[resolved_by_id])

    __table_args__ = (
        sa.UniqueConstraint("post_id", "reporter_id"),
        sa.CheckConstraint(f"reason IN {_in(FLAG_REASONS)}", name="reason"),
        sa.CheckConstraint(f"resolution IN {_in(FLAG_RESOLUTIONS)}", name="resolution"),
    )

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    def __repr__(self) -> str:
        return f"<Flag {self.id} {self.reason} on post {self.post_id}>"


class ModerationAction(db.Model):
    """One line of the moderation log: who did what to which thread, post or member, and why.

    Written by the moderation services only; the web never edits or deletes it.
    """

    __tablename__ = "moderation_log"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    actor_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    action: so.Mapped[str] = so.mapped_column(sa.String(30), index=True)
    thread_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("threads.id"))
    post_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("posts.id"))
    subject_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    reason: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    details: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)

    actor: so.Mapped[User] = so.relationship(foreign_keys=[actor_id])
    thread: so.Mapped[Thread | None] = so.relationship()
    post: so.Mapped[Post | None] = so.relationship()
    subject: so.Mapped[User | None] = so.relationship(foreign_keys=[subject_id])

    @classmethod
    def record(
        cls,
        actor: User,
        action: str,
        *,
        thread: Thread | None = None,
        post: Post | None = None,
        subject: User | None = None,
        reason: str | None = None,
        details: str | None = None,
    ) -> ModerationAction:
        """Add a log line to the session (the caller commits with the change it describes)."""
        if action not in ACTIONS:
            raise ValueError(f"unknown moderation action {action!r}")
        entry = cls(
            actor=actor,
            action=action,
            thread=thread if thread is not None else (post.thread if post is not None else None),
            post=post,
            subject=subject,
            reason=reason,
            details=details,
        )
        db.session.add(entry)
        return entry

    def __repr__(self) -> str:
        return f"<ModerationAction {self.id} {self.action}>"


class PasswordResetToken(db.Model):
    """A one-time password-reset link a facilitator made for a member.

    Only a SHA-256 of the token is kept: the link itself is shown once, to the
    facilitator who asked for it.
    """

    __tablename__ = "password_reset_tokens"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    user: so.Mapped[User] = so.relationship(foreign_keys=[user_id])
    created_by: so.Mapped[User] = so.relationship(foreign_keys=[created_by_id])

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_usable(self) -> bool:
        """Unused, unexpired, and for an account that still exists."""
        return self.used_at is None and self.expires_at > utcnow() and not self.user.is_deleted


class LoginFailure(db.Model):
    """Failed logins for one account from one address, shared by every worker.

    The count slows further guesses from that address only, so a stranger can
    never lock a member (or a facilitator) out from elsewhere.
    """

    __tablename__ = "login_failures"

    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    client: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    failures: so.Mapped[int] = so.mapped_column(default=0)
    last_failed_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
