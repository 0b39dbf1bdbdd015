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
from ..models import Post
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


# --- the dashboard's stored figures (forum/insight/aggregates.py keeps them) -------------


class ThreadFigure(db.Model):
    """A public thread as the dashboard counts it, with its durations stored.

    One row per public thread (hidden, withdrawn and waiting ones have none), so
    the medians are picked from these per-thread durations, never from sums.
    """

    __tablename__ = "thread_figures"

    thread_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True
    )
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    regency: so.Mapped[str | None] = so.mapped_column(sa.String(60))
    province: so.Mapped[str | None] = so.mapped_column(sa.String(60))
    # Seconds to the first public reply by another member; NULL: nobody else answered.
    first_reply_seconds: so.Mapped[float | None] = so.mapped_column(sa.Float)
    # Seconds to the moment an answer was accepted; NULL: not solved.
    solve_seconds: so.Mapped[float | None] = so.mapped_column(sa.Float)

    # Covering: a period's medians and counts read the index alone, never the rows.
    __table_args__ = (
        sa.Index(
            "ix_thread_figures_kind_created_at",
            "kind",
            "created_at",
            "regency",
            "province",
            "first_reply_seconds",
            "solve_seconds",
        ),
    )


class FigureCount(db.Model):
    """How many of something happened on a local day (or month) in a time zone and region.

    ``grain`` "d": ``day`` is the local day; "m": the first of a month, summing its
    days (a period reads its whole months here and its edge days from the days).
    ``region`` is a dashboard region value ("" all of Indonesia, ``provinsi-<slug>``,
    a kabupaten/kota slug), ``parent`` the region it lies in ("" for a province, the
    province's value for a kabupaten/kota), for the per-region shares. ``metric`` is
    practice, challenge, solved, unanswered (thread figures by the day the thread
    was posted), reply, member, or tag (``tag_id``; 0 for the others).
    """

    __tablename__ = "figure_counts"

    # The key's order serves the reads: one region's figures over a range of days.
    zone: so.Mapped[str] = so.mapped_column(sa.String(40), primary_key=True)
    region: so.Mapped[str] = so.mapped_column(sa.String(80), primary_key=True)
    metric: so.Mapped[str] = so.mapped_column(sa.String(12), primary_key=True)
    grain: so.Mapped[str] = so.mapped_column(sa.String(1), primary_key=True)
    day: so.Mapped[date] = so.mapped_column(sa.Date, primary_key=True)
    tag_id: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    parent: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    count: so.Mapped[int]

    __table_args__ = (
        # The per-region shares: the provinces (or a province's kabupaten/kota) together.
        sa.Index("ix_figure_counts_parent", "zone", "parent", "metric", "grain", "day"),
        # Recounting a day or a month.
        sa.Index("ix_figure_counts_day", "zone", "grain", "day"),
    )


class LibraryActivity(db.Model):
    """A library's last public post (thread or reply) within an hour (UTC).

    Indonesia's time zones are whole hours from UTC, so every period's local
    midnights fall on these hours: "the last post before the period ends" is one
    index lookup per library.
    """

    __tablename__ = "library_activity"

    library_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("libraries.id", ondelete="CASCADE"), primary_key=True
    )
    hour: so.Mapped[datetime] = so.mapped_column(UTCDateTime, primary_key=True)
    last_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


# Recounting one day's figures after a write reads that day's posts and members.
sa.Index("ix_posts_created_at", Post.created_at)
sa.Index("ix_users_created_at", User.created_at)
