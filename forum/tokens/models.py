"""A member's personal access tokens: only a hash of each secret is kept."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from ..models import User
from ..models import UTCDateTime
from ..models import utcnow

TOKEN_SCOPES = ("read", "write")


class ApiToken(db.Model):
    """A secret a member's program sends as ``Authorization: Bearer <secret>``.

    ``token_hash`` is the SHA-256 of the secret (a high-entropy random string, so
    a plain hash is enough); ``hint`` is its first characters, for the member to
    tell tokens apart. A revoked token is kept, marked, so the list can say when.
    """

    __tablename__ = "api_tokens"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: so.Mapped[str] = so.mapped_column(sa.String(60))
    scope: so.Mapped[str] = so.mapped_column(sa.String(10))
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    hint: so.Mapped[str] = so.mapped_column(sa.String(12))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    last_used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    user: so.Mapped[User] = so.relationship()

    __table_args__ = (sa.CheckConstraint("scope IN ('read', 'write')", name="scope"),)

    @property
    def may_write(self) -> bool:
        return self.scope == "write"

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.scope} of user {self.user_id}>"
