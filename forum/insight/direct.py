"""The dashboard's figures computed straight from the forum's tables, on every call.

This is how the figures were computed before they were stored (see
forum/insight/aggregates.py): a scan of the period's threads and posts. The
dashboard no longer calls it; it is the definition the stored figures are
tested against (tests/test_dashboard_aggregates.py), kept here so that a
change of what counts is made in both places and checked.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from ..models import Library
from ..models import Post
from ..models import Tag
from ..models import Thread
from ..models import User
from ..models import thread_tags
from ..regions import regions
from .figures import LIST_LIMIT
from .figures import QUIET_AFTER_DAYS
from .figures import SERIES
from .figures import TOP_REGIONS
from .figures import TOP_TAGS
from .figures import OpenChallenge
from .figures import Period
from .figures import QuietLibrary
from .figures import RegionShare
from .figures import Summary
from .figures import _median
from .figures import day_of
from .figures import epoch_seconds
from .figures import first_reply_at
from .figures import public_reply
from .figures import reply_by_another
from .models import Meeting


def answered_by_others():
    """Correlated EXISTS: someone other than the thread's author replied in public."""
    reply = so.aliased(Post)
    return sa.select(reply.id).where(reply_by_another(reply)).exists()


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
    return Summary.of(row, *libraries(period))


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


def unanswered_challenges(period: Period) -> list[OpenChallenge]:
    """The period's oldest challenges that nobody but their author has answered."""
    rows = db.session.execute(
        sa.select(Thread.id, Thread.title, Thread.created_at, Thread.regency)
        .where(*period.threads("challenge"), unanswered())
        .order_by(Thread.created_at, Thread.id)
        .limit(LIST_LIMIT)
    )
    return [OpenChallenge(*row) for row in rows]
