"""The dashboard's stored figures, kept up to date by every write, and rebuilt from scratch.

The dashboard reads three tables (forum/insight/models.py) instead of scanning
the forum's posts on every view: ``thread_figures`` (each public thread with its
durations, for the medians and the unanswered list), ``figure_counts`` (counts
per local day and month, time zone and region) and ``library_activity`` (each
library's last post per hour, for active and quiet libraries).

How they stay true: a session hook looks at every flush (ORM writes of threads,
posts, members and libraries, whichever service made them: posting, hiding,
restoring, solving, moving a thread, deleting an account, approving a member).
A flush that only added rows (a reply, a thread, a member: nearly every write)
adds what those rows count in to their days and months (:func:`add`): a day of a
peer-learning meeting holds thousands of rows, and reading them again on every
reply cost it half a second. Any other flush recounts what its rows touch — the
threads' rows, the local days (in every time zone members can choose) and the
libraries' hours — from the forum's own tables, in the same transaction.
Both read rows with the same definitions, so a figure cannot drift from what a
direct query gives (tests/test_dashboard_aggregates.py compares them after every
kind of write, and with a recount from scratch). :func:`rebuild` recounts
everything (``flask figures rebuild``, the migration, after a bulk import that
bypassed the ORM); it is a plain function for a job.

What counts is what forum/insight/figures.py defines (``public_reply``,
``first_reply_at``): this module only stores its results.
"""

from __future__ import annotations

from collections import Counter
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import TIMEZONES
from ..models import Library
from ..models import Post
from ..models import Thread
from ..models import User
from ..models import thread_tags
from ..regions import PROVINCE_PREFIX
from .figures import epoch_seconds
from .figures import first_reply_at
from .figures import public_reply
from .models import FigureCount
from .models import LibraryActivity
from .models import ThreadFigure

ZONES = TIMEZONES  # the zones a member can choose: WIB, WITA, WIT
HOUR = timedelta(hours=1)
# Columns whose change can change a figure (others, like a post's body, cannot).
THREAD_FIELDS = (
    "kind",
    "created_at",
    "regency",
    "province",
    "library_id",
    "author_id",
    "hidden",
    "withdrawn_at",
    "waiting",
    "solved_at",
    "tags",
)
VISIBILITY = ("hidden", "withdrawn_at", "waiting")
POST_FIELDS = ("created_at", "thread_id", "author_id", "is_opening", *VISIBILITY)
USER_FIELDS = ("created_at", "library_id")
LIBRARY_FIELDS = ("regency", "province")


# --- days, hours and places ---------------------------------------------------------


def local_day(at: datetime, zone: str) -> date:
    return at.astimezone(ZoneInfo(zone)).date()


def midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def hour_of(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def places(regency: str | None, province: str | None) -> list[tuple[str, str | None]]:
    """(region, parent) rows something placed here counts in: all of Indonesia, its
    province, its kabupaten/kota (a place without a region counts in the first only)."""
    rows: list[tuple[str, str | None]] = [("", None)]
    if province:
        rows.append((PROVINCE_PREFIX + province, ""))
    if regency:
        rows.append((regency, PROVINCE_PREFIX + province if province else None))
    return rows


# --- what changed in a flush -----------------------------------------------------------


@dataclass
class Changes:
    threads: set[int] = field(default_factory=set)  # recount their rows and days
    thread_posts: set[int] = field(default_factory=set)  # ... and every post in them
    members: set[int] = field(default_factory=set)  # every post of these members
    left: set[tuple[int, int]] = field(default_factory=set)  # (member, library they left)
    libraries: set[int] = field(default_factory=set)  # every member of these libraries
    posts: set[tuple[int, datetime]] = field(default_factory=set)  # (author, when)
    moments: set[datetime] = field(default_factory=set)  # local days to recount
    hours: set[tuple[int, datetime]] = field(default_factory=set)  # (library, hour)
    # Rows this flush inserted. While nothing counted was changed or deleted (``added_only``),
    # the figures move by what the new rows add, and nothing is recounted (see :func:`add`).
    new_posts: set[int] = field(default_factory=set)
    new_threads: set[int] = field(default_factory=set)
    new_members: set[int] = field(default_factory=set)
    added_only: bool = True

    def __bool__(self) -> bool:
        return any(value for name, value in vars(self).items() if name != "added_only")


def _history(obj, fields: Iterable[str]) -> dict:
    state = sa.inspect(obj)
    return {name: state.attrs[name].history for name in fields}


def _values(obj, history: dict, name: str) -> list:
    """The attribute's value now and what it was before this flush."""
    return [value for value in (getattr(obj, name), *history[name].deleted) if value is not None]


def collect(session: Session, changes: Changes) -> None:
    """Note what this flush's threads, posts, members and libraries touch."""
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Thread):
            _thread(obj, session, changes)
        elif isinstance(obj, Post):
            _post(obj, session, changes)
        elif isinstance(obj, User):
            _member(obj, session, changes)
        elif isinstance(obj, Library):
            history = _history(obj, LIBRARY_FIELDS)
            if obj not in session.new and any(h.has_changes() for h in history.values()):
                changes.libraries.add(obj.id)
                changes.added_only = False


def _changed(obj, session: Session, history: dict, changes: Changes) -> bool:
    if obj in session.new:
        return True
    if obj in session.deleted or any(h.has_changes() for h in history.values()):
        changes.added_only = False
        return True
    return False


def _thread(thread: Thread, session: Session, changes: Changes) -> None:
    history = _history(thread, THREAD_FIELDS)
    if not _changed(thread, session, history, changes):
        return
    if thread in session.new:
        changes.new_threads.add(thread.id)
    changes.threads.add(thread.id)
    changes.moments.update(_values(thread, history, "created_at"))
    moments = _values(thread, history, "created_at")
    for library in _values(thread, history, "library_id"):
        changes.hours.update((library, hour_of(at)) for at in moments)
    if thread in session.deleted or any(history[name].has_changes() for name in VISIBILITY):
        changes.thread_posts.add(thread.id)  # its replies count, or stop counting


def _post(post: Post, session: Session, changes: Changes) -> None:
    history = _history(post, POST_FIELDS)
    if not _changed(post, session, history, changes):
        return
    if post in session.new:
        changes.new_posts.add(post.id)
    changes.threads.update(_values(post, history, "thread_id"))
    for author in _values(post, history, "author_id"):
        changes.posts.update((author, at) for at in _values(post, history, "created_at"))


def _member(user: User, session: Session, changes: Changes) -> None:
    history = _history(user, USER_FIELDS)
    if not _changed(user, session, history, changes):
        return
    changes.moments.update(_values(user, history, "created_at"))
    if user in session.new:
        changes.new_members.add(user.id)
        return  # no posts yet
    if history["library_id"].has_changes() or user in session.deleted:
        changes.members.add(user.id)  # their replies and posts move with them
        changes.left.update(
            (user.id, library) for library in history["library_id"].deleted if library is not None
        )


# --- reading the forum's own tables ------------------------------------------------------


def _window(column, start: datetime | None, end: datetime | None) -> list:
    conditions = []
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column < end)
    return conditions


def _posts_of_members(conn: Connection, members: Iterable[int]) -> list[datetime]:
    members = list(members)
    if not members:
        return []
    return list(conn.scalars(sa.select(Post.created_at).where(Post.author_id.in_(members))))


def thread_source():
    """Each public thread as the dashboard counts it (the rows of ``thread_figures``)."""
    return sa.select(
        Thread.id,
        Thread.kind,
        Thread.created_at,
        Thread.regency,
        Thread.province,
        epoch_seconds(first_reply_at()) - epoch_seconds(Thread.created_at),
        sa.case(
            (
                Thread.solved_at.is_not(None),
                epoch_seconds(Thread.solved_at) - epoch_seconds(Thread.created_at),
            ),
        ),
    ).where(Thread.is_public)


def _replies():
    """(when, regency, province) of the public replies, placed by their author's library."""
    return (
        sa.select(Post.created_at, Library.regency, Library.province)
        .join(Thread, Thread.id == Post.thread_id)
        .join(User, User.id == Post.author_id)
        .outerjoin(Library, Library.id == User.library_id)
        .where(public_reply())
    )


def _members():
    return sa.select(User.created_at, Library.regency, Library.province).outerjoin(
        Library, Library.id == User.library_id
    )


def _reply_rows(conn: Connection, start, end) -> list:
    return conn.execute(_replies().where(*_window(Post.created_at, start, end))).all()


def _member_rows(conn: Connection, start, end) -> list:
    return conn.execute(_members().where(*_window(User.created_at, start, end))).all()


def _thread_rows(conn: Connection, start, end) -> tuple[list, dict[int, list[int]]]:
    figures = ThreadFigure.__table__.c
    rows = conn.execute(
        sa.select(
            figures.thread_id,
            figures.kind,
            figures.created_at,
            figures.regency,
            figures.province,
            figures.first_reply_seconds,
            figures.solve_seconds,
        ).where(*_window(figures.created_at, start, end))
    ).all()
    tags: dict[int, list[int]] = defaultdict(list)
    for thread_id, tag_id in conn.execute(
        sa.select(thread_tags.c.thread_id, thread_tags.c.tag_id)
        .join(ThreadFigure, ThreadFigure.thread_id == thread_tags.c.thread_id)
        .where(*_window(ThreadFigure.created_at, start, end))
    ):
        tags[thread_id].append(tag_id)
    return rows, tags


@dataclass
class Source:
    """One window's rows, read once and counted for every zone."""

    threads: list
    tags: dict[int, list[int]]
    replies: list
    members: list

    @classmethod
    def read(cls, conn: Connection, start: datetime | None, end: datetime | None) -> Source:
        threads, tags = _thread_rows(conn, start, end)
        return cls(threads, tags, _reply_rows(conn, start, end), _member_rows(conn, start, end))

    def counted(self) -> Iterator[tuple]:
        """What each row counts in: (when, regency, province, metric, tag_id)."""
        for thread_id, kind, at, regency, province, first_reply, solve in self.threads:
            yield from _thread_counts(kind, at, regency, province, first_reply, solve)
            for tag_id in self.tags.get(thread_id, ()):
                yield at, regency, province, "tag", tag_id
        for at, regency, province in self.replies:
            yield at, regency, province, "reply", 0
        for at, regency, province in self.members:
            yield at, regency, province, "member", 0

    def counts(self, zone: str, days: set[date] | None) -> dict[tuple, int]:
        """{(day, region, parent, metric, tag_id): count} in ``zone`` (only ``days``, if given)."""
        counts: dict[tuple, int] = defaultdict(int)
        for at, regency, province, metric, tag_id in self.counted():
            day = local_day(at, zone)
            if days is None or day in days:
                for region, parent in places(regency, province):
                    counts[(day, region, parent, metric, tag_id)] += 1
        return counts


def _thread_counts(kind, at, regency, province, first_reply, solve) -> Iterator[tuple]:
    """The figures a public thread counts in (besides its tags), on the day it was posted."""
    yield at, regency, province, kind, 0
    if kind == "challenge":
        if solve is not None:
            yield at, regency, province, "solved", 0
        elif first_reply is None:
            yield at, regency, province, "unanswered", 0


# --- recounting -------------------------------------------------------------------------


def _write_days(conn: Connection, zone: str, days: set[date], counts: dict[tuple, int]) -> None:
    table = FigureCount.__table__
    conn.execute(
        sa.delete(table).where(
            table.c.zone == zone, table.c.grain == "d", table.c.day.in_(sorted(days))
        )
    )
    rows = [
        dict(
            zone=zone,
            region=region,
            grain="d",
            day=day,
            metric=metric,
            tag_id=tag_id,
            parent=parent,
            count=count,
        )
        for (day, region, parent, metric, tag_id), count in counts.items()
    ]
    for start in range(0, len(rows), 2000):
        conn.execute(sa.insert(table), rows[start : start + 2000])


def _write_months(conn: Connection, zone: str, months: set[date]) -> None:
    """Each month's rows: the sum of its days' rows."""
    table = FigureCount.__table__
    c = table.c
    for month in sorted(months):
        following = (month + timedelta(days=32)).replace(day=1)
        conn.execute(sa.delete(table).where(c.zone == zone, c.grain == "m", c.day == month))
        sums = (
            sa.select(
                c.zone,
                c.region,
                sa.literal("m", sa.String),
                sa.literal(month, sa.Date),
                c.metric,
                c.tag_id,
                c.parent,
                sa.func.sum(c.count),
            )
            .where(c.zone == zone, c.grain == "d", c.day >= month, c.day < following)
            .group_by(c.zone, c.region, c.metric, c.tag_id, c.parent)
        )
        conn.execute(
            sa.insert(table).from_select(
                ["zone", "region", "grain", "day", "metric", "tag_id", "parent", "count"], sums
            )
        )


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) runs."""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and day == runs[-1][1] + timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(first, last) for first, last in runs]


def recount_days(conn: Connection, moments: Iterable[datetime]) -> None:
    """Recount the local days (in every zone) that hold these moments, and their months."""
    moments = list(moments)
    for zone in ZONES:
        days = {local_day(at, zone) for at in moments}
        for first, last in _runs(days):
            run = {first + timedelta(days=n) for n in range((last - first).days + 1)}
            source = Source.read(conn, midnight(first, zone), midnight(last, zone) + timedelta(1))
            _write_days(conn, zone, run, source.counts(zone, run))
        _write_months(conn, zone, {day.replace(day=1) for day in days})


def _activity(conn: Connection, start, end, library: int | None = None) -> list[tuple]:
    """(library, when) of each public thread posted from a library and each public reply
    by a library's member (one library's, or every library's)."""
    threads = sa.select(Thread.library_id.label("library_id"), Thread.created_at.label("at")).where(
        Thread.is_public,
        Thread.library_id.is_not(None) if library is None else Thread.library_id == library,
        *_window(Thread.created_at, start, end),
    )
    replies = (
        sa.select(User.library_id.label("library_id"), Post.created_at.label("at"))
        .join(Thread, Thread.id == Post.thread_id)
        .join(User, User.id == Post.author_id)
        .where(
            public_reply(),
            User.library_id.is_not(None) if library is None else User.library_id == library,
            *_window(Post.created_at, start, end),
        )
    )
    return [(row.library_id, row.at) for row in conn.execute(sa.union_all(threads, replies))]


def _last_per_hour(activity: Iterable[tuple[int, datetime]]) -> dict[tuple, datetime]:
    """{(library, hour): the last moment in it}."""
    last: dict[tuple, datetime] = {}
    for library, at in activity:
        key = (library, hour_of(at))
        if key not in last or at > last[key]:
            last[key] = at
    return last


def recount_hours(conn: Connection, hours: Iterable[tuple[int, datetime]]) -> None:
    """Recount each library's last post in these hours (one read per library)."""
    table = LibraryActivity.__table__
    by_library: dict[int, set[datetime]] = defaultdict(set)
    for library, hour in hours:
        by_library[library].add(hour_of(hour))
    for library, wanted in by_library.items():
        start, end = min(wanted), max(wanted) + HOUR
        last = _last_per_hour(_activity(conn, start, end, library))
        conn.execute(
            sa.delete(table).where(table.c.library_id == library, table.c.hour.in_(wanted))
        )
        rows = [
            dict(library_id=library, hour=h, last_at=last[library, h])
            for h in wanted
            if (library, h) in last
        ]
        if rows:
            conn.execute(sa.insert(table), rows)


def recount_threads(conn: Connection, thread_ids: Iterable[int]) -> list[datetime]:
    """Rewrite these threads' rows; returns the moments whose days must be recounted."""
    ids = sorted(thread_ids)
    table = ThreadFigure.__table__
    moments = list(conn.scalars(sa.select(table.c.created_at).where(table.c.thread_id.in_(ids))))
    conn.execute(sa.delete(table).where(table.c.thread_id.in_(ids)))
    conn.execute(
        sa.insert(table).from_select(
            [c.name for c in table.c], thread_source().where(Thread.id.in_(ids))
        )
    )
    moments += conn.scalars(sa.select(Thread.created_at).where(Thread.id.in_(ids)))
    return moments


# --- adding what new rows count -------------------------------------------------------------

FIGURE_KEY = ("zone", "region", "metric", "grain", "day", "tag_id")


def _upsert(conn: Connection, table: sa.Table, key: Iterable[str], **set_):
    """INSERT ... ON CONFLICT (key) DO UPDATE, in the connection's dialect."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    where = set_.pop("where", None)
    return statement.on_conflict_do_update(
        index_elements=list(key),
        set_={name: value(table.c, statement.excluded) for name, value in set_.items()},
        where=where(table.c, statement.excluded) if where is not None else None,
    )


def _same_row(before: tuple | None, now: tuple | None) -> bool:
    if before is None or now is None:
        return before is now
    *fields, first_reply, solve = before
    *now_fields, now_first_reply, now_solve = now
    return (
        fields == now_fields
        and _same_seconds(first_reply, now_first_reply)
        and _same_seconds(solve, now_solve)
    )


def _same_seconds(a, b) -> bool:
    # Stored as floats; PostgreSQL computes them as numeric: compare to the millisecond.
    return a is None if b is None else a is not None and abs(float(a) - float(b)) < 1e-3


def _threads_added(
    conn: Connection, changes: Changes, counted: Counter, active: list[tuple[int, datetime]]
) -> None:
    """Rewrite the rows of threads that changed; count what each row no longer and now adds."""
    table = ThreadFigure.__table__
    ids = sorted(changes.threads)
    before = {
        row[0]: tuple(row)
        for row in conn.execute(sa.select(*table.c).where(table.c.thread_id.in_(ids)))
    }
    now: dict[int, tuple] = {}
    for *row, library in conn.execute(
        thread_source().add_columns(Thread.library_id).where(Thread.id.in_(ids))
    ):
        now[row[0]] = tuple(row)
        if row[0] in changes.new_threads and library is not None:
            active.append((library, row[2]))
    changed = [thread for thread in ids if not _same_row(before.get(thread), now.get(thread))]
    if not changed:
        return
    for rows, sign in ((before, -1), (now, 1)):
        for thread in changed:
            if thread in rows:
                for item in _thread_counts(*rows[thread][1:]):
                    counted[item] += sign
    # A thread's tags count while it has a row; what is new here is a row that came or went.
    came_or_went = [thread for thread in changed if (thread in before) != (thread in now)]
    if came_or_went:
        for thread, tag_id in conn.execute(
            sa.select(thread_tags.c.thread_id, thread_tags.c.tag_id).where(
                thread_tags.c.thread_id.in_(came_or_went)
            )
        ):
            _thread_id, _kind, at, regency, province, *_ = before.get(thread) or now[thread]
            counted[(at, regency, province, "tag", tag_id)] += 1 if thread in now else -1
    conn.execute(sa.delete(table).where(table.c.thread_id.in_(changed)))
    columns = table.c.keys()
    rows = [dict(zip(columns, now[thread], strict=True)) for thread in changed if thread in now]
    if rows:
        conn.execute(sa.insert(table), rows)


def _add_counts(conn: Connection, counted: Counter) -> None:
    """Add each change to its day's and its month's rows, in every zone and region."""
    table = FigureCount.__table__
    deltas: Counter[tuple] = Counter()
    parents: dict[tuple, str | None] = {}
    for (at, regency, province, metric, tag_id), change in counted.items():
        if not change:
            continue
        for zone in ZONES:
            day = local_day(at, zone)
            for region, parent in places(regency, province):
                for grain, start in (("d", day), ("m", day.replace(day=1))):
                    key = (zone, region, metric, grain, start, tag_id)
                    deltas[key] += change
                    parents[key] = parent
    rows = [
        dict(zip(FIGURE_KEY, key, strict=True), parent=parents[key], count=change)
        for key, change in deltas.items()
        if change
    ]
    if not rows:
        return
    conn.execute(_upsert(conn, table, FIGURE_KEY, count=lambda c, new: c.count + new.count), rows)
    emptied = [key for key, change in deltas.items() if change < 0]
    if emptied:  # a recount writes no zero rows, and neither does this
        conn.execute(
            sa.delete(table).where(
                sa.tuple_(*(table.c[name] for name in FIGURE_KEY)).in_(emptied),
                table.c.count <= 0,
            )
        )


def _add_activity(conn: Connection, active: list[tuple[int, datetime]]) -> None:
    """Move each library's last post in an hour forward to the new posts."""
    if not active:
        return
    table = LibraryActivity.__table__
    rows = [
        dict(library_id=library, hour=hour, last_at=at)
        for (library, hour), at in _last_per_hour(active).items()
    ]
    conn.execute(
        _upsert(
            conn,
            table,
            ("library_id", "hour"),
            last_at=lambda c, new: new.last_at,
            where=lambda c, new: c.last_at < new.last_at,
        ),
        rows,
    )


def add(conn: Connection, changes: Changes) -> None:
    """Move the stored figures by what this flush's new rows count in.

    For a flush that only added rows (``changes.added_only``): the usual write, a reply, a
    thread, a new member. A new reply counts once on its day and may answer its thread (its
    row is rewritten and its "unanswered" taken back); a new thread counts its kind, tags and
    state; a new member counts once. The old and new rows are read with the definitions a
    recount uses, so the sums are what a recount gives, without re-reading a busy day.
    """
    counted: Counter[tuple] = Counter()  # (when, regency, province, metric, tag_id): change
    active: list[tuple[int, datetime]] = []  # (library, when) of new public posts
    if changes.threads:
        _threads_added(conn, changes, counted, active)
    if changes.new_posts:
        for at, regency, province, library in conn.execute(
            _replies().add_columns(User.library_id).where(Post.id.in_(changes.new_posts))
        ):
            counted[(at, regency, province, "reply", 0)] += 1
            if library is not None:
                active.append((library, at))
    if changes.new_members:
        for at, regency, province in conn.execute(
            _members().where(User.id.in_(changes.new_members))
        ):
            counted[(at, regency, province, "member", 0)] += 1
    _add_counts(conn, counted)
    _add_activity(conn, active)


RECOUNT_LOCK = 0x5E4A_F16  # a constant key for pg_advisory_xact_lock: "figures"


def apply(conn: Connection, changes: Changes) -> None:
    """Recount everything ``changes`` touches, on ``conn`` (inside the writing transaction)."""
    if conn.dialect.name == "postgresql":
        # Writers recount one at a time, each after the one before has committed: under
        # READ COMMITTED the recount then reads every committed row (none counts from a
        # stale view) and no two insert the same figure row. SQLite has one writer anyway.
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(RECOUNT_LOCK)))
    if changes.added_only:
        add(conn, changes)
        return
    moments, hours = set(changes.moments), set(changes.hours)
    posts = set(changes.posts)
    if changes.libraries:
        members = conn.execute(
            sa.select(User.id, User.created_at).where(User.library_id.in_(changes.libraries))
        ).all()
        moments.update(at for _id, at in members)
        changes.members.update(member_id for member_id, _at in members)
    if changes.members:
        rows = conn.execute(
            sa.select(Post.author_id, Post.created_at).where(Post.author_id.in_(changes.members))
        ).all()
        posts.update((author, at) for author, at in rows)
        left = defaultdict(set)
        for member, library in changes.left:
            left[member].add(library)
        hours.update(
            (library, hour_of(at)) for author, at in rows for library in left.get(author, ())
        )
    if changes.thread_posts:
        rows = conn.execute(
            sa.select(Post.author_id, Post.created_at).where(
                Post.thread_id.in_(changes.thread_posts)
            )
        ).all()
        posts.update((author, at) for author, at in rows)
    if posts:
        library_of = dict(
            conn.execute(
                sa.select(User.id, User.library_id).where(
                    User.id.in_({author for author, _at in posts})
                )
            ).all()
        )
        for author, at in posts:
            moments.add(at)
            if library_of.get(author) is not None:
                hours.add((library_of[author], hour_of(at)))
    if changes.threads:
        moments.update(recount_threads(conn, changes.threads))
        hours.update(
            (library, hour_of(at))
            for library, at in conn.execute(
                sa.select(Thread.library_id, Thread.created_at).where(
                    Thread.id.in_(changes.threads), Thread.library_id.is_not(None)
                )
            )
        )
    if moments:
        recount_days(conn, moments)
    if hours:
        recount_hours(conn, hours)


def rebuild(conn: Connection) -> dict[str, int]:
    """Recount every stored figure from the forum's tables; returns the rows written.

    For ``flask figures rebuild``, the migration that adds the tables, and a job.
    """
    for model in (FigureCount, LibraryActivity, ThreadFigure):
        conn.execute(sa.delete(model.__table__))
    table = ThreadFigure.__table__
    conn.execute(sa.insert(table).from_select([c.name for c in table.c], thread_source()))
    source = Source.read(conn, None, None)
    for zone in ZONES:
        counts = source.counts(zone, None)
        days = {key[0] for key in counts}
        _write_days(conn, zone, days, counts)
        _write_months(conn, zone, {day.replace(day=1) for day in days})
    rows = [
        dict(library_id=library, hour=hour, last_at=at)
        for (library, hour), at in _last_per_hour(_activity(conn, None, None)).items()
    ]
    for start in range(0, len(rows), 2000):
        conn.execute(sa.insert(LibraryActivity.__table__), rows[start : start + 2000])
    return {
        model.__tablename__: conn.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (ThreadFigure, FigureCount, LibraryActivity)
    }


# --- the hook ------------------------------------------------------------------------------


def _after_flush(session: Session, _flush_context) -> None:
    changes = Changes()
    collect(session, changes)
    if changes:
        apply(session.connection(), changes)


def install_hooks() -> None:
    """Recount after every flush of the app's session (idempotent)."""
    if not sa.event.contains(db.session, "after_flush", _after_flush):
        sa.event.listen(db.session, "after_flush", _after_flush)
