"""E-mail confirmation links: proof that an address is the member's own.

Like password-reset links, only a SHA-256 of the token is kept. A row with an
address another member already uses is kept too (so the member's settings look
the same either way), but its token is never sent: it can never be confirmed.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from ..models import User
from ..models import UTCDateTime
from ..models import utcnow


class EmailConfirmation(db.Model):
    """A link sent to ``email`` to confirm it as ``user``'s address (24 hours, once)."""

    __tablename__ = "email_confirmations"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    email: so.Mapped[str] = so.mapped_column(sa.String(254))
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    user: so.Mapped[User] = so.relationship()

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.expires_at > utcnow() and not self.user.is_deleted
