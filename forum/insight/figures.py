"""The dashboard's figures for a period and a region, computed by the database.

Every figure is an SQL aggregate: counts, ``GROUP BY`` per day, tag and region,
and medians picked with window functions (``ROW_NUMBER``/``COUNT OVER``), which
SQLite (>= 3.25) and PostgreSQL both run. Python only reshapes the few
aggregated rows (days into weeks and months), never the forum's rows, so the
page costs the same handful of queries however large the forum grows.

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
import sqlalchemy.orm as so
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ..extensions import db
from ..models import Library
from ..models import Post
from ..models import Tag
from ..models import Thread
from ..models import User
from ..models import thread_tags
from ..regions import Region
from ..regions import regions
from .models import Meeting

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


def answered_by_others():
    """Correlated EXISTS: someone other than the thread's author replied in public."""
    reply = so.aliased(Post)
    return sa.select(reply.id).where(reply_by_another(reply)).exists()


def first_reply_at():
    """Correlated: when someone other than the thread's author first replied (or NULL)."""
    return (
        sa.select(sa.func.min(Post.created_at))
        .where(reply_by_another())
        .correlate(Thread)
        .scalar_subquery()
    )


def unanswered():
    return sa.and_(Thread.solved_at.is_(None), ~answered_by_others())


def _replies_in(period: Period):
    """Public replies written in the period by members of the region's libraries."""
    query = (
        sa.select(sa.func.count(Post.id))
        .join(Thread, Thread.id == Post.thread_id)
        .where(public_reply(), period.within(Post.created_at))
    )
    if period.region.kind:
        query = (
            query.join(User, User.id == Post.author_id)
            .join(Library, Library.id == User.library_id)
            .where(period.region.clause(Library.regency, Library.province))
        )
    return query


def activity(period: Period) -> sa.Subquery:
    """(library_id, at) for every public thread and reply of a library in the period."""
    threads = sa.select(Thread.library_id.label("library_id"), Thread.created_at.label("at")).where(
        *period.threads(), Thread.library_id.is_not(None)
    )
    replies = (
        sa.select(User.library_id.label("library_id"), Post.created_at.label("at"))
        .join(Thread, Thread.id == Post.thread_id)
        .join(User, User.id == Post.author_id)
        .where(public_reply(), User.library_id.is_not(None), period.within(Post.created_at))
    )
    return sa.union_all(threads, replies).subquery("activity")


# --- the figures ---------------------------------------------------------------------


@dataclass(frozen=True)
class QuietLibrary:
    id: int
    name: str
    regency: str
    province: str
    last_at: datetime


def libraries(period: Period) -> tuple[int, int, list[QuietLibrary]]:
    """Active libraries, and those gone quiet, from one pass over the period's posts.

    A library is active when it posted in the period, and has gone quiet when
    its last post in the period is more than QUIET_AFTER_DAYS before the end
    (posts after the period are not looked at). Returns the number active, the
    number gone quiet and the LIST_LIMIT quiet longest.
    """
    moments = activity(period.without_region())
    last = (
        sa.select(moments.c.library_id, sa.func.max(moments.c.at).label("last_at"))
        .group_by(moments.c.library_id)
        .subquery()
    )
    is_quiet = last.c.last_at < period.end_at - timedelta(days=QUIET_AFTER_DAYS)
    rows = db.session.execute(
        sa.select(
            Library.id,
            Library.name,
            Library.regency,
            Library.province,
            last.c.last_at,
            sa.func.count().over().label("active"),
            sa.func.sum(sa.case((is_quiet, 1), else_=0)).over().label("quiet"),
            is_quiet.label("is_quiet"),
        )
        .join(last, last.c.library_id == Library.id)
        .where(period.region.clause(Library.regency, Library.province))
        # Quiet ones first, longest quiet first; the window totals count every row.
        .order_by(sa.case((is_quiet, 0), else_=1), last.c.last_at, Library.name)
        .limit(LIST_LIMIT)
    ).all()
    if not rows:
        return 0, 0, []
    quiet = [QuietLibrary(*row[:5]) for row in rows if row.is_quiet]
    return int(rows[0].active), int(rows[0].quiet), quiet


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

    @property
    def solved_share(self) -> float | None:
        return self.solved / self.challenges if self.challenges else None


def summary(period: Period) -> Summary:
    """The headline figures: one query for the posts, one for the libraries."""

    def count_threads(*conditions):
        return (
            sa.select(sa.func.count(Thread.id))
            .where(*period.threads(), *conditions)
            .scalar_subquery()
        )

    members = sa.select(sa.func.count(User.id)).where(period.within(User.created_at))
    if period.region.kind:
        members = members.join(Library, Library.id == User.library_id).where(
            period.region.clause(Library.regency, Library.province)
        )
    meetings_in = period.meetings()
    challenge = Thread.kind == "challenge"
    row = db.session.execute(
        sa.select(
            members.scalar_subquery().label("new_members"),
            count_threads(Thread.kind == "practice").label("practices"),
            count_threads(challenge).label("challenges"),
            count_threads(challenge, Thread.solved_at.is_not(None)).label("solved"),
            _replies_in(period).scalar_subquery().label("replies"),
            count_threads(challenge, unanswered()).label("unanswered"),
            sa.select(sa.func.count(Meeting.id)).where(*meetings_in).scalar_subquery(),
            sa.select(sa.func.coalesce(sa.func.sum(Meeting.participants), 0))
            .where(*meetings_in)
            .scalar_subquery(),
            _median(_first_reply_delays(period)).label("median_first_reply"),
            _median(_solve_delays(period)).label("median_solved"),
        )
    ).one()
    active, quiet_total, quiet = libraries(period)
    return Summary(
        *(int(value) for value in row[:8]),
        median_first_reply=float(row[8]) if row[8] is not None else None,
        median_solved=float(row[9]) if row[9] is not None else None,
        active_libraries=active,
        quiet_total=quiet_total,
        quiet=quiet,
    )


def _first_reply_delays(period: Period) -> sa.Subquery:
    """Seconds from each of the period's challenges to its first reply by another member.

    NULL for a challenge nobody else answered. Driven from the period's threads,
    each looking up its own replies by index.
    """
    return (
        sa.select(
            (epoch_seconds(first_reply_at()) - epoch_seconds(Thread.created_at)).label("value")
        )
        .where(*period.threads("challenge"))
        .subquery()
    )


def _solve_delays(period: Period) -> sa.Subquery:
    return (
        sa.select(
            (epoch_seconds(Thread.solved_at) - epoch_seconds(Thread.created_at)).label("value")
        )
        .where(
            *period.threads("challenge"),
            Thread.solved_at.is_not(None),
        )
        .subquery()
    )


def day_of(column, period: Period):
    start = period.start_at.timestamp()
    return floor_whole((epoch_seconds(column) - start) / 86400.0)


def daily_counts(period: Period) -> dict[str, list[int]]:
    """Practices, challenges and replies per local day of the period (one query)."""
    threads = sa.select(
        Thread.kind.label("series"), day_of(Thread.created_at, period).label("day")
    ).where(*period.threads())
    replies = _replies_in(period).with_only_columns(
        sa.literal_column("'reply'").label("series"),
        day_of(Post.created_at, period).label("day"),
    )
    days = sa.union_all(threads, replies).subquery()
    rows = db.session.execute(
        sa.select(days.c.series, days.c.day, sa.func.count()).group_by(days.c.series, days.c.day)
    )
    counts = {series: [0] * period.days for series in SERIES}
    for series, day, count in rows:
        if 0 <= day < period.days:
            counts[series][day] += count
    return counts


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


def solved_by_region(period: Period) -> list[RegionShare]:
    """Challenges and solved ones per province (per kabupaten/kota within a province)."""
    by_province = period.region.kind is None
    column = Thread.province if by_province else Thread.regency
    rows = db.session.execute(
        sa.select(column, sa.func.count(Thread.id), sa.func.count(Thread.solved_at))
        .where(*period.threads("challenge"), column.is_not(None))
        .group_by(column)
        .order_by(sa.func.count(Thread.id).desc(), column)
        .limit(TOP_REGIONS)
    )
    name = regions().province_name if by_province else regions().regency_name
    return [RegionShare(slug, name(slug) or slug, total, solved) for slug, total, solved in rows]


def top_tags(period: Period) -> list[tuple[str, int]]:
    """The tags of most threads posted in the period."""
    threads = sa.func.count(Thread.id)
    rows = db.session.execute(
        sa.select(Tag.name, threads)
        .join(thread_tags, thread_tags.c.tag_id == Tag.id)
        .join(Thread, Thread.id == thread_tags.c.thread_id)
        .where(*period.threads())
        .group_by(Tag.name)
        .order_by(threads.desc(), Tag.name)
        .limit(TOP_TAGS)
    )
    return [(name, count) for name, count in rows]


@dataclass(frozen=True)
class OpenChallenge:
    id: int
    title: str
    created_at: datetime
    regency: str | None


def unanswered_challenges(period: Period) -> list[OpenChallenge]:
    """The period's oldest challenges that nobody but their author has answered."""
    rows = db.session.execute(
        sa.select(Thread.id, Thread.title, Thread.created_at, Thread.regency)
        .where(*period.threads("challenge"), unanswered())
        .order_by(Thread.created_at, Thread.id)
        .limit(LIST_LIMIT)
    )
    return [OpenChallenge(*row) for row in rows]


def meetings_in(period: Period) -> list[Meeting]:
    """Meetings that started in the period and region, in date order."""
    return list(
        db.session.scalars(
            sa.select(Meeting).where(*period.meetings()).order_by(Meeting.starts_on, Meeting.id)
        )
    )
