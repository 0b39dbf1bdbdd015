"""The dashboard's figures for a period and a region, read from the stored counts.

The figures are kept by the writes (forum/insight/aggregates.py): counts per
local day and month, time zone and region, each public thread with its
durations, each library's last post per hour. A view reads a few index ranges
of those, and picks the medians from the per-thread durations with window
functions (``ROW_NUMBER``/``COUNT OVER``), on SQLite (>= 3.25) and PostgreSQL;
Python only reshapes the few rows (days into weeks and months), so the page
costs the same handful of queries however large the forum grows.
forum/insight/direct.py computes the same figures from the posts themselves.

What counts (the README's "Programme insight" section says the same):

* Only public content: threads and replies neither hidden nor withdrawn, and
  replies only in public threads.
* The period runs from local midnight of ``start`` to the end of ``end`` in the
  viewer's time zone.
* A thread belongs to the region it was posted from (its library's
  kabupaten/kota then); a reply and a member to their library's region, so a
  region's figures are what its libraries did.
* A challenge is answered when a member other than its author has replied;
  time to first reply counts from that reply, time to solved from the moment
  an answer was accepted. Both are medians over the period's challenges.
* A library has gone quiet when it posted during the period but not in its
  last ``QUIET_AFTER_DAYS`` days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ..extensions import db
from ..models import Library
from ..models import Post
from ..models import Tag
from ..models import Thread
from ..regions import PROVINCE_PREFIX
from ..regions import Region
from ..regions import regions
from .models import FigureCount
from .models import LibraryActivity
from .models import Meeting
from .models import ThreadFigure

# The longest period the dashboard shows (ten years and leap days): longer is a 400,
# whether given by from and to, or by from alone (up to today).
MAX_PERIOD_DAYS = 3660
QUIET_AFTER_DAYS = 90
TOP_TAGS = 10
TOP_REGIONS = 15
LIST_LIMIT = 20
SERIES = ("practice", "challenge", "reply")


# --- portable SQL pieces ----------------------------------------------------------


def _per_dialect(cls, **templates: str):
    """Compile ``cls(x)`` from a template per dialect, ``{}`` standing for ``x``."""
    for dialect, template in templates.items():

        def compile_(element, compiler, _template=template, **kw):
            return _template.format(compiler.process(element.clauses, **kw))

        compiles(cls, dialect)(compile_)
    return cls


class epoch_seconds(FunctionElement):
    """Seconds since 1970 of a timestamp column, as a float, on SQLite and PostgreSQL."""

    type = sa.Float()
    name = "epoch_seconds"
    inherit_cache = True


class floor_whole(FunctionElement):
    """The whole part of a non-negative number (SQLite before 3.35 has no FLOOR)."""

    type = sa.Integer()
    name = "floor_whole"
    inherit_cache = True


# SQLite stores the timestamps as UTC text; julianday keeps the fractional seconds.
_per_dialect(
    epoch_seconds,
    sqlite="((julianday({}) - 2440587.5) * 86400.0)",
    postgresql="EXTRACT(EPOCH FROM {})",
)
_per_dialect(floor_whole, sqlite="CAST({} AS INTEGER)", postgresql="CAST(FLOOR({}) AS INTEGER)")


def _median(values: sa.Subquery) -> sa.ScalarSelect:
    """The median of ``values.c.value`` (NULLs ignored): the middle row, or the mean of two.

    With the n non-null values numbered 1..n in order (NULLs after them), the
    middle ones are those with 2·rn ∈ {n, n+1, n+2}: rn = (n+1)/2 when n is odd,
    n/2 and n/2+1 when even. With n = 0 only a NULL can match, so the median is NULL.
    """
    ranked = sa.select(
        values.c.value,
        sa.func.row_number().over(order_by=values.c.value.asc().nulls_last()).label("rn"),
        sa.func.count(values.c.value).over().label("n"),
    ).subquery()
    double = ranked.c.rn * 2
    return (
        sa.select(sa.func.avg(ranked.c.value))
        .where(sa.or_(double == ranked.c.n, double == ranked.c.n + 1, double == ranked.c.n + 2))
        .scalar_subquery()
    )


# --- the period and region --------------------------------------------------------


def default_start(end: date) -> date:
    """Twelve months up to and including ``end``: from the day after the same date a year ago."""
    try:
        year_ago = end.replace(year=end.year - 1)
    except ValueError:  # 29 February
        year_ago = end.replace(year=end.year - 1, day=28)
    return year_ago + timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """Local calendar days ``start``..``end`` (both included) in ``timezone``, and a region."""

    start: date
    end: date
    region: Region = Region()
    timezone: str = "Asia/Jakarta"

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=ZoneInfo(self.timezone)).astimezone(UTC)

    @property
    def start_at(self) -> datetime:
        return self._midnight(self.start)

    @property
    def end_at(self) -> datetime:
        """Exclusive: local midnight after the last day."""
        return self._midnight(self.end + timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def without_region(self) -> Period:
        return Period(self.start, self.end, Region(), self.timezone)

    def params(self) -> dict[str, str]:
        """The query parameters that select this period and region again."""
        params = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        if self.region.param:
            params["region"] = self.region.param
        return params

    def within(self, column):
        return sa.and_(column >= self.start_at, column < self.end_at)

    def meetings(self) -> list:
        """Conditions for meetings that started in the period and region."""
        return [
            Meeting.starts_on >= self.start,
            Meeting.starts_on <= self.end,
            self.region.clause(Meeting.regency, Meeting.province),
        ]

    def threads(self, kind: str | None = None) -> list:
        """Conditions for public threads posted in the period and region."""
        conditions = [
            Thread.is_public,
            self.within(Thread.created_at),
            self.region.clause(Thread.regency, Thread.province),
        ]
        if kind:
            conditions.append(Thread.kind == kind)
        return conditions


# --- what counts -------------------------------------------------------------------


def public_reply(post=Post, thread=Thread):
    """A visible reply in a visible thread (the caller joins the thread)."""
    return sa.and_(
        post.is_opening.is_(False),
        post.is_public,
        thread.is_public,
    )


def reply_by_another(post=Post):
    """Correlated: a visible reply to ``Thread`` by someone other than its author."""
    return sa.and_(
        post.thread_id == Thread.id,
        post.is_opening.is_(False),
        post.is_public,
        post.author_id != Thread.author_id,
    )


def first_reply_at():
    """Correlated: when someone other than the thread's author first replied (or NULL)."""
    return (
        sa.select(sa.func.min(Post.created_at))
        .where(reply_by_another())
        .correlate(Thread)
        .scalar_subquery()
    )


# --- the figures ---------------------------------------------------------------------


@dataclass(frozen=True)
class QuietLibrary:
    id: int
    name: str
    regency: str
    province: str
    last_at: datetime


@dataclass(frozen=True)
class Summary:
    new_members: int
    practices: int
    challenges: int
    solved: int
    replies: int
    unanswered: int
    meetings: int
    participants: int
    median_first_reply: float | None  # seconds
    median_solved: float | None  # seconds
    active_libraries: int
    quiet_total: int  # libraries gone quiet
    quiet: list[QuietLibrary]  # the LIST_LIMIT quiet longest

    @classmethod
    def of(cls, row, active: int, quiet_total: int, quiet: list[QuietLibrary]) -> Summary:
        """From a row of eight counts and two medians, and the libraries' figures."""
        return cls(
            *(int(value) for value in row[:8]),
            median_first_reply=float(row[8]) if row[8] is not None else None,
            median_solved=float(row[9]) if row[9] is not None else None,
            active_libraries=active,
            quiet_total=quiet_total,
            quiet=quiet,
        )

    @property
    def solved_share(self) -> float | None:
        return self.solved / self.challenges if self.challenges else None


def day_of(column, period: Period):
    start = period.start_at.timestamp()
    return floor_whole((epoch_seconds(column) - start) / 86400.0)


@dataclass(frozen=True)
class Bucket:
    label: date  # first day of the week or month
    practices: int
    challenges: int
    replies: int


def weekly(period: Period, counts: dict[str, list[int]] | None = None) -> list[Bucket]:
    """Seven-day buckets from the period's first day (the last one may be shorter)."""
    counts = counts or daily_counts(period)
    return [
        Bucket(
            period.start + timedelta(days=first),
            *(sum(counts[series][first : first + 7]) for series in SERIES),
        )
        for first in range(0, period.days, 7)
    ]


def monthly(period: Period, counts: dict[str, list[int]] | None = None) -> list[Bucket]:
    """Calendar months that the period touches."""
    counts = counts or daily_counts(period)
    months: dict[date, list[int]] = {}
    for offset in range(period.days):
        day = period.start + timedelta(days=offset)
        totals = months.setdefault(day.replace(day=1), [0, 0, 0])
        for index, series in enumerate(SERIES):
            totals[index] += counts[series][offset]
    return [Bucket(month, *totals) for month, totals in months.items()]


@dataclass(frozen=True)
class RegionShare:
    slug: str
    name: str
    challenges: int
    solved: int

    @property
    def share(self) -> float:
        return self.solved / self.challenges if self.challenges else 0.0


@dataclass(frozen=True)
class OpenChallenge:
    id: int
    title: str
    created_at: datetime
    regency: str | None


def meetings_in(period: Period) -> list[Meeting]:
    """Meetings that started in the period and region, in date order."""
    return list(
        db.session.scalars(
            sa.select(Meeting).where(*period.meetings()).order_by(Meeting.starts_on, Meeting.id)
        )
    )


# --- the figures, read from the stored counts (forum/insight/aggregates.py) ------------------


def _spans(period: Period) -> list[tuple[str, date, date]]:
    """(grain, first, last) ranges of stored counts that add up to the period.

    Whole calendar months come from the month rows, the days before and after
    them from the day rows: at most a dozen rows a month per figure and region.
    """
    start, end = period.start, period.end
    first_month = start if start.day == 1 else (start.replace(day=28) + timedelta(4)).replace(day=1)
    end_month = (end + timedelta(days=1)).replace(day=1)  # months before it end in the period
    if first_month >= end_month:
        return [("d", start, end)]
    spans = [("m", first_month, end_month - timedelta(days=1))]
    if start < first_month:
        spans.append(("d", start, first_month - timedelta(days=1)))
    if end_month <= end:
        spans.append(("d", end_month, end))
    return spans


def _stored(period: Period, *conditions) -> sa.Subquery:
    """The stored counts that add up to the period in the viewer's zone (one index range
    per span, put together with UNION ALL)."""
    parts = [
        sa.select(
            FigureCount.region, FigureCount.metric, FigureCount.tag_id, FigureCount.count
        ).where(
            FigureCount.zone == period.timezone,
            *conditions,
            FigureCount.grain == grain,
            FigureCount.day >= first,
            FigureCount.day <= last,
        )
        for grain, first, last in _spans(period)
    ]
    return (parts[0] if len(parts) == 1 else sa.union_all(*parts)).subquery("stored")


def _in_region(period: Period):
    return FigureCount.region == period.region.param


def _count_of(counts: sa.Subquery, metric: str):
    """The sum of one figure's stored counts (in a query over :func:`_stored`)."""
    return sa.func.coalesce(
        sa.func.sum(sa.case((counts.c.metric == metric, counts.c.count), else_=0)), 0
    )


def _durations(period: Period, column) -> sa.Subquery:
    """A stored per-thread duration of each of the period's challenges (NULL: none yet)."""
    return (
        sa.select(column.label("value"))
        .where(
            ThreadFigure.kind == "challenge",
            period.within(ThreadFigure.created_at),
            period.region.clause(ThreadFigure.regency, ThreadFigure.province),
        )
        .subquery()
    )


def summary(period: Period) -> Summary:
    """The headline figures: one query for the counts and medians, one for the libraries."""
    metrics = ("member", "practice", "challenge", "solved", "reply", "unanswered")
    stored = _stored(period, _in_region(period), FigureCount.metric.in_(metrics))
    counts = sa.select(*(_count_of(stored, metric).label(metric) for metric in metrics)).subquery()
    meetings_in = period.meetings()
    row = db.session.execute(
        sa.select(
            *(counts.c[metric] for metric in metrics),
            sa.select(sa.func.count(Meeting.id)).where(*meetings_in).scalar_subquery(),
            sa.select(sa.func.coalesce(sa.func.sum(Meeting.participants), 0))
            .where(*meetings_in)
            .scalar_subquery(),
            _median(_durations(period, ThreadFigure.first_reply_seconds)),
            _median(_durations(period, ThreadFigure.solve_seconds)),
        ).select_from(counts)
    ).one()
    return Summary.of(row, *libraries(period))


def libraries(period: Period) -> tuple[int, int, list[QuietLibrary]]:
    """Active libraries, and those gone quiet: one lookup of each library's last hour.

    A library is active when it posted in the period, and has gone quiet when
    its last post in the period is more than QUIET_AFTER_DAYS before the end
    (posts after the period are not looked at). Returns the number active, the
    number gone quiet and the LIST_LIMIT quiet longest.
    """
    last_at = (
        sa.select(LibraryActivity.last_at)
        .where(LibraryActivity.library_id == Library.id, LibraryActivity.hour < period.end_at)
        .order_by(LibraryActivity.hour.desc())
        .limit(1)
        .correlate(Library)
        .scalar_subquery()
    )
    last = (
        sa.select(
            Library.id, Library.name, Library.regency, Library.province, last_at.label("last_at")
        )
        .where(period.region.clause(Library.regency, Library.province))
        .subquery()
    )
    is_quiet = last.c.last_at < period.end_at - timedelta(days=QUIET_AFTER_DAYS)
    rows = db.session.execute(
        sa.select(
            *last.c,
            sa.func.count().over().label("active"),
            sa.func.sum(sa.case((is_quiet, 1), else_=0)).over().label("quiet"),
            is_quiet.label("is_quiet"),
        )
        .where(last.c.last_at >= period.start_at)
        # Quiet ones first, longest quiet first; the window totals count every row.
        .order_by(sa.case((is_quiet, 0), else_=1), last.c.last_at, last.c.name)
        .limit(LIST_LIMIT)
    ).all()
    if not rows:
        return 0, 0, []
    quiet = [QuietLibrary(*row[:5]) for row in rows if row.is_quiet]
    return int(rows[0].active), int(rows[0].quiet), quiet


def daily_counts(period: Period) -> dict[str, list[int]]:
    """Practices, challenges and replies per local day of the period (one query)."""
    rows = db.session.execute(
        sa.select(FigureCount.metric, FigureCount.day, FigureCount.count).where(
            FigureCount.zone == period.timezone,
            _in_region(period),
            FigureCount.grain == "d",
            FigureCount.day >= period.start,
            FigureCount.day <= period.end,
            FigureCount.metric.in_(SERIES),
        )
    )
    counts = {series: [0] * period.days for series in SERIES}
    for series, day, count in rows:
        counts[series][(day - period.start).days] += count
    return counts


def solved_by_region(period: Period) -> list[RegionShare]:
    """Challenges and solved ones per province (per kabupaten/kota within a province)."""
    if period.region.kind == "regency":
        where = FigureCount.region == period.region.param
    else:  # the provinces of Indonesia, or the kabupaten/kota of a province
        where = FigureCount.parent == period.region.param
    stored = _stored(period, where, FigureCount.metric.in_(("challenge", "solved")))
    challenges = _count_of(stored, "challenge")
    rows = db.session.execute(
        sa.select(stored.c.region, challenges, _count_of(stored, "solved"))
        .group_by(stored.c.region)
        .having(challenges > 0)
        .order_by(challenges.desc(), stored.c.region)
        .limit(TOP_REGIONS)
    )
    by_province = period.region.kind is None
    name = regions().province_name if by_province else regions().regency_name
    shares = []
    for region, total, solved in rows:
        slug = region.removeprefix(PROVINCE_PREFIX) if by_province else region
        shares.append(RegionShare(slug, name(slug) or slug, int(total), int(solved)))
    return shares


def top_tags(period: Period) -> list[tuple[str, int]]:
    """The tags of most threads posted in the period."""
    stored = _stored(period, _in_region(period), FigureCount.metric == "tag")
    threads = sa.func.sum(stored.c.count)
    rows = db.session.execute(
        sa.select(Tag.name, threads)
        .join(Tag, Tag.id == stored.c.tag_id)
        .group_by(Tag.name)
        .order_by(threads.desc(), Tag.name)
        .limit(TOP_TAGS)
    )
    return [(name, int(count)) for name, count in rows]


def unanswered_challenges(period: Period) -> list[OpenChallenge]:
    """The period's oldest challenges that nobody but their author has answered."""
    rows = db.session.execute(
        sa.select(Thread.id, Thread.title, ThreadFigure.created_at, ThreadFigure.regency)
        .join(Thread, Thread.id == ThreadFigure.thread_id)
        .where(
            ThreadFigure.kind == "challenge",
            period.within(ThreadFigure.created_at),
            period.region.clause(ThreadFigure.regency, ThreadFigure.province),
            ThreadFigure.first_reply_seconds.is_(None),
            ThreadFigure.solve_seconds.is_(None),
        )
        .order_by(ThreadFigure.created_at, ThreadFigure.thread_id)
        .limit(LIST_LIMIT)
    )
    return [OpenChallenge(*row) for row in rows]
