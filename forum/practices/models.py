"""A facilitator's verification of a best practice, its earlier versions, and compilations.

``practice_verifications`` holds one row per practice ever verified: the current
summary (Markdown, with its stored HTML like a post's), who verified it and when,
and ``unverified_at`` once a facilitator takes the mark away. Each replaced
summary is kept in ``verification_revisions``, as a post's earlier versions are.
``compilations`` records each "Kumpulan Praktik Baik" asked for: what was asked,
its status and the file made in the background.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from .. import search_changes as index_changes
from ..extensions import db
from ..models import StoredHtml
from ..models import Thread
from ..models import User
from ..models import UTCDateTime
from ..models import utcnow

COMPILATION_STATUSES = ("waiting", "working", "ready", "failed")
COMPILATION_FORMATS = ("html", "pdf")


class PracticeVerification(StoredHtml, db.Model):
    """A practice marked "Terverifikasi" by a facilitator, with its summary."""

    __tablename__ = "practice_verifications"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    thread_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("threads.id", ondelete="CASCADE"), unique=True
    )
    # The summary: what worked, for whom, what it costs (Markdown).
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    verified_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    verified_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)
    unverified_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    unverified_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    thread: so.Mapped[Thread] = so.relationship(back_populates="verification")
    # Comes with the verification (pages show who verified, without a query of their own).
    verified_by: so.Mapped[User] = so.relationship(foreign_keys=[verified_by_id], lazy="joined")
    unverified_by: so.Mapped[User | None] = so.relationship(foreign_keys=[unverified_by_id])
    revisions: so.WriteOnlyMapped[VerificationRevision] = so.relationship(
        back_populates="verification",
        order_by="VerificationRevision.id.desc()",
        passive_deletes=True,
    )

    @property
    def is_active(self) -> bool:
        return self.unverified_at is None

    def search_changes(self):
        """Verifying or unverifying re-indexes the practice's posts (they carry the mark)."""
        state = sa.inspect(self)
        if state.deleted or self.thread is None:
            return []
        is_new = state.pending or not state.has_identity
        if not (is_new or state.attrs.unverified_at.history.has_changes()):
            return []
        return index_changes.changes_for(self.thread.posts)

    def __repr__(self) -> str:
        return f"<PracticeVerification of thread {self.thread_id}>"


class VerificationRevision(StoredHtml, db.Model):
    """An earlier summary of a verification, kept when a facilitator writes a new one."""

    __tablename__ = "verification_revisions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    verification_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("practice_verifications.id", ondelete="CASCADE"), index=True
    )
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    written_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    written_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    replaced_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    verification: so.Mapped[PracticeVerification] = so.relationship(back_populates="revisions")
    written_by: so.Mapped[User] = so.relationship(foreign_keys=[written_by_id])


class Compilation(db.Model):
    """A "Kumpulan Praktik Baik" asked for by a facilitator and made in the background."""

    __tablename__ = "compilations"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    requested_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    # What was asked: {"region": ..., "from": ..., "to": ..., "verified": bool}.
    params: so.Mapped[dict] = so.mapped_column(sa.JSON)
    format: so.Mapped[str] = so.mapped_column(sa.String(10))
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default="waiting")
    practices: so.Mapped[int] = so.mapped_column(default=0)
    file_key: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    size: so.Mapped[int | None] = so.mapped_column()
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    finished_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    requested_by: so.Mapped[User] = so.relationship()

    __table_args__ = (
        sa.CheckConstraint("status IN ('waiting', 'working', 'ready', 'failed')", name="status"),
        sa.CheckConstraint("format IN ('html', 'pdf')", name="format"),
    )

    @property
    def is_ready(self) -> bool:
        return self.status == "ready"
