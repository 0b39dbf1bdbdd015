"""Adoptions ("Kami mencoba ini") and the practices linked to challenges.

One :class:`Adoption` per library and practice, updated over time; every save
is kept as an :class:`AdoptionUpdate` (the history), each with the reply that
told the practice's thread about it (its photos are that reply's attachments).
"""

from __future__ import annotations

from datetime import date
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from ..models import Library
from ..models import Post
from ..models import Thread
from ..models import User
from ..models import UTCDateTime
from ..models import utcnow

ADOPTION_STATUSES = ("planned", "trying", "running", "stopped")


def _status_check() -> sa.CheckConstraint:
    return sa.CheckConstraint(
        "status IN (" + ", ".join(f"'{status}'" for status in ADOPTION_STATUSES) + ")",
        name="status",
    )


class AdoptionFields:
    """What a library tells about trying a practice (the record and each version of it)."""

    status: so.Mapped[str] = so.mapped_column(sa.String(20))
    started_on: so.Mapped[date] = so.mapped_column(sa.Date)
    adapted: so.Mapped[str] = so.mapped_column(sa.Text)
    result: so.Mapped[str | None] = so.mapped_column(sa.Text)
    participants: so.Mapped[int | None] = so.mapped_column()


class Adoption(AdoptionFields, db.Model):
    """A library trying (or having adopted) a practice from another library."""

    __tablename__ = "adoptions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    practice_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("threads.id", ondelete="CASCADE"), index=True
    )
    library_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("libraries.id", ondelete="CASCADE"), index=True
    )
    # Where the library was when it first recorded (as threads keep theirs).
    regency: so.Mapped[str] = so.mapped_column(sa.String(60), index=True)
    province: so.Mapped[str] = so.mapped_column(sa.String(60))
    created_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    updated_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    # The reply that told the thread about the latest version (hidden with it).
    post_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("posts.id", ondelete="SET NULL")
    )

    practice: so.Mapped[Thread] = so.relationship()
    library: so.Mapped[Library] = so.relationship()
    created_by: so.Mapped[User] = so.relationship(foreign_keys=[created_by_id])
    updated_by: so.Mapped[User] = so.relationship(foreign_keys=[updated_by_id])
    post: so.Mapped[Post | None] = so.relationship()
    updates: so.Mapped[list[AdoptionUpdate]] = so.relationship(
        back_populates="adoption",
        order_by="AdoptionUpdate.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (
        sa.UniqueConstraint("practice_id", "library_id", name="uq_adoptions_practice_library"),
        _status_check(),
    )

    def __repr__(self) -> str:
        return f"<Adoption {self.id} of practice {self.practice_id} by library {self.library_id}>"


class AdoptionUpdate(AdoptionFields, db.Model):
    """One saved version of an adoption: its history, oldest first."""

    __tablename__ = "adoption_updates"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    adoption_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("adoptions.id", ondelete="CASCADE"), index=True
    )
    author_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    post_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("posts.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    adoption: so.Mapped[Adoption] = so.relationship(back_populates="updates")
    author: so.Mapped[User] = so.relationship()
    post: so.Mapped[Post | None] = so.relationship()

    __table_args__ = (_status_check(),)


class PracticeLink(db.Model):
    """A practice a member linked to a challenge it addresses ("coba praktik ini").

    ``solved_at`` marks the one chosen as the challenge's solution; the
    challenge's own ``solved_at`` says whether it is solved at all (an accepted
    answer clears the practice's mark, see :func:`.service.solution_chosen`).
    """

    __tablename__ = "challenge_practices"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    challenge_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("threads.id", ondelete="CASCADE"), index=True
    )
    practice_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("threads.id", ondelete="CASCADE"), index=True
    )
    linked_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    solved_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    challenge: so.Mapped[Thread] = so.relationship(foreign_keys=[challenge_id])
    practice: so.Mapped[Thread] = so.relationship(foreign_keys=[practice_id])
    linked_by: so.Mapped[User] = so.relationship()

    __table_args__ = (
        sa.UniqueConstraint("challenge_id", "practice_id", name="uq_challenge_practices_pair"),
    )
