"""Programme insight's own rows: meetings and the threads linked to them.

A meeting is a peer-learning session or a stakeholder meeting that a
facilitator records; its dates are plain calendar dates (a meeting "on 3 March"
is on 3 March wherever one reads it), its timestamps UTC like the forum's.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from ..models import Thread
from ..models import User
from ..models import UTCDateTime
from ..models import utcnow

MEETING_KINDS = ("peer_learning", "stakeholder")
# How a thread relates to a meeting: talked about there, came out of it, or its summary.
LINK_RELATIONS = ("discussed", "outcome", "summary")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


class Meeting(db.Model):
    """A peer-learning meeting or a stakeholder meeting in a kabupaten/kota."""

    __tablename__ = "meetings"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(150))
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    starts_on: so.Mapped[date] = so.mapped_column(sa.Date, index=True)
    ends_on: so.Mapped[date] = so.mapped_column(sa.Date)
    place: so.Mapped[str] = so.mapped_column(sa.String(200))
    regency: so.Mapped[str] = so.mapped_column(sa.String(60), index=True)  # kabupaten/kota slug
    province: so.Mapped[str] = so.mapped_column(sa.String(60), index=True)  # from the regency
    participants: so.Mapped[int] = so.mapped_column(default=0)
    speakers: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    summary: so.Mapped[str] = so.mapped_column(sa.Text, default="")  # Markdown
    created_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    created_by: so.Mapped[User] = so.relationship()
    links: so.Mapped[list[MeetingThread]] = so.relationship(
        back_populates="meeting", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint(f"kind IN {_in(MEETING_KINDS)}", name="kind"),
        sa.CheckConstraint("ends_on >= starts_on", name="dates"),
        sa.CheckConstraint("participants >= 0", name="participants"),
    )

    def __repr__(self) -> str:
        return f"<Meeting {self.id} {self.starts_on} {self.title!r}>"


class MeetingThread(db.Model):
    """A thread linked to a meeting, and how: discussed there, an outcome, or its summary."""

    __tablename__ = "meeting_threads"

    meeting_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    thread_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    relation: so.Mapped[str] = so.mapped_column(sa.String(20), default="discussed")
    linked_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    linked_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    meeting: so.Mapped[Meeting] = so.relationship(back_populates="links")
    thread: so.Mapped[Thread] = so.relationship()

    __table_args__ = (sa.CheckConstraint(f"relation IN {_in(LINK_RELATIONS)}", name="relation"),)

    def __repr__(self) -> str:
        return f"<MeetingThread {self.meeting_id}->{self.thread_id} {self.relation}>"


# Public threads linked to a meeting, counted in SQL so lists never load the links.
Meeting.thread_count = so.column_property(
    sa.select(sa.func.count(MeetingThread.thread_id))
    .join(Thread, Thread.id == MeetingThread.thread_id)
    .where(
        MeetingThread.meeting_id == Meeting.id,
        Thread.is_public,
    )
    .correlate_except(MeetingThread, Thread)
    .scalar_subquery(),
    deferred=False,
)
