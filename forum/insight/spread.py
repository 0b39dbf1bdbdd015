"""How practices spread: the dashboard's adoption figures for a period and a region.

An adoption counts in the period it was first recorded, in the region of the
library that tries the practice (a region's figures are what its libraries
did). Only adoptions anyone may see count: of a public practice, and whose
latest story (the reply that told the thread) is neither hidden nor withdrawn.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from ..adoptions.models import Adoption
from ..adoptions.texts import STATUS_LABELS
from ..extensions import db
from ..models import Library
from ..models import Post
from ..models import Thread
from ..regions import regions
from ..urls import external_url
from .figures import Period
from .figures import day_of

TOP_PRACTICES = 10


def counted(period: Period) -> list:
    """Conditions for the period's visible adoptions (``threads`` and ``posts`` joined)."""
    return [
        period.within(Adoption.created_at),
        period.region.clause(Adoption.regency, Adoption.province),
        Thread.is_public,
        sa.or_(Adoption.post_id.is_(None), Post.is_public),
    ]


def _adoptions(*columns):
    return (
        sa.select(*columns)
        .select_from(Adoption)
        .join(Thread, Thread.id == Adoption.practice_id)
        .outerjoin(Post, Post.id == Adoption.post_id)
    )


@dataclass(frozen=True)
class AdoptedPractice:
    id: int
    title: str
    libraries: int
    regencies: int  # distinct kabupaten/kota of the libraries trying it


@dataclass(frozen=True)
class Spread:
    adoptions: int  # libraries that started trying a practice in the period
    practices: int  # practices tried by at least one other library
    regencies: int  # kabupaten/kota reached (where the trying libraries are)
    top: list[AdoptedPractice]


def per_practice(period: Period, limit: int | None = TOP_PRACTICES) -> list[AdoptedPractice]:
    """The most tried practices: by libraries, then kabupaten/kota reached."""
    libraries = sa.func.count(sa.distinct(Adoption.library_id))
    reached = sa.func.count(sa.distinct(Adoption.regency))
    query = (
        _adoptions(Thread.id, Thread.title, libraries, reached)
        .where(*counted(period))
        .group_by(Thread.id, Thread.title)
        .order_by(libraries.desc(), reached.desc(), Thread.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return [AdoptedPractice(*row) for row in db.session.execute(query)]


def spread(period: Period) -> Spread:
    row = db.session.execute(
        _adoptions(
            sa.func.count(Adoption.id),
            sa.func.count(sa.distinct(Adoption.practice_id)),
            sa.func.count(sa.distinct(Adoption.regency)),
        ).where(*counted(period))
    ).one()
    return Spread(*(int(value) for value in row), top=per_practice(period))


def monthly(period: Period) -> list[tuple[date, int]]:
    """Adoptions first recorded per calendar month the period touches (one query)."""
    day = day_of(Adoption.created_at, period).label("day")
    rows = db.session.execute(
        _adoptions(day, sa.func.count()).where(*counted(period)).group_by(day)
    )
    by_day = dict(rows.all())
    months: dict[date, int] = {}
    for offset in range(period.days):
        first = (period.start + timedelta(days=offset)).replace(day=1)
        months[first] = months.get(first, 0) + by_day.get(offset, 0)
    return list(months.items())


def adoption_header() -> list:
    return [
        _("Best practice"),
        _("Practice from"),
        _("Library trying it"),
        _("Kabupaten/kota"),
        _("Province"),
        _("Status"),
        _("Started on"),
        _("What they adapted"),
        _("Result"),
        _("Participants"),
        _("Recorded"),
        _("Updated"),
        _("Address"),
    ]


def adoption_rows(period: Period) -> Iterator[list]:
    """Every visible adoption first recorded in the period, oldest first."""
    source = so.aliased(Library)
    query = (
        _adoptions(Adoption, Thread.title, source.name, Library.name)
        .join(Library, Library.id == Adoption.library_id)
        .outerjoin(source, source.id == Thread.library_id)
        .where(*counted(period))
        .order_by(Adoption.created_at, Adoption.id)
        .execution_options(yield_per=500)
    )
    for adoption, title, source_name, library_name in db.session.execute(query):
        yield [
            title,
            source_name or "",
            library_name,
            regions().regency_name(adoption.regency),
            regions().province_name(adoption.province),
            str(STATUS_LABELS[adoption.status]),
            adoption.started_on,
            adoption.adapted,
            adoption.result or "",
            adoption.participants,
            adoption.created_at,
            adoption.updated_at,
            external_url("adoptions.adoptions", thread_id=adoption.practice_id),
        ]


def practices_in(period: Period) -> list[Thread]:
    """The period's public practices, oldest first, for the printed report (with their sections)."""
    return list(
        db.session.scalars(
            sa.select(Thread)
            .where(*period.threads("practice"))
            .options(so.joinedload(Thread.library), so.joinedload(Thread.author))
            .order_by(Thread.created_at, Thread.id)
        )
    )
