"""The dashboard's support figures: needs posted, offers made, accepted and delivered.

Counted like the other figures (:mod:`forum.insight.figures`): only public
challenges, in the period and region of the dashboard, a challenge in the region
it was posted from. A need counts when its challenge asked for it in the period;
an offer when it was made in the period, then as accepted (accepted or
delivered since) and delivered. Per kind of support, and per province (per
kabupaten/kota within a province): four grouped queries whatever the forum's size.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..insight.figures import TOP_REGIONS
from ..insight.figures import Period
from ..models import Thread
from ..regions import regions
from .models import NEED_KINDS
from .models import Offer
from .models import SupportNeed
from .models import SupportRequest
from .texts import NEED_LABELS


@dataclass(frozen=True)
class SupportRow:
    key: str  # a kind of support, or a region slug
    name: object  # a (lazy) label or a region name
    needs: int = 0
    offers: int = 0
    accepted: int = 0
    delivered: int = 0


FIELDS = ("needs", "offers", "accepted", "delivered")


@dataclass(frozen=True)
class SupportFigures:
    total: SupportRow
    by_kind: list[SupportRow]
    by_region: list[SupportRow]


def _public_challenge(period: Period) -> list:
    return [
        # An expression, not the column: SQLite would otherwise walk every challenge by
        # the kind index and look for its needs, instead of the few needs and offers first.
        Thread.kind.concat("") == "challenge",
        Thread.is_public,
        period.region.clause(Thread.regency, Thread.province),
    ]


def _needs(period: Period, dimension: str, group):
    return (
        sa.select(
            sa.literal(dimension).label("dimension"),
            group.label("key"),
            sa.func.count().label("needs"),
            sa.literal(0).label("offers"),
            sa.literal(0).label("accepted"),
            sa.literal(0).label("delivered"),
        )
        .select_from(SupportNeed)
        .join(SupportRequest, SupportRequest.thread_id == SupportNeed.thread_id)
        .join(Thread, Thread.id == SupportRequest.thread_id)
        .where(*_public_challenge(period), period.within(SupportRequest.created_at))
        .group_by(group)
    )


def _offers(period: Period, dimension: str, group):
    answered = Offer.status.in_(("accepted", "delivered"))
    return (
        sa.select(
            sa.literal(dimension).label("dimension"),
            group.label("key"),
            sa.literal(0).label("needs"),
            sa.func.count(Offer.id).label("offers"),
            sa.func.sum(sa.case((answered, 1), else_=0)).label("accepted"),
            sa.func.sum(sa.case((Offer.status == "delivered", 1), else_=0)).label("delivered"),
        )
        .select_from(Offer)
        .join(Thread, Thread.id == Offer.thread_id)
        .where(*_public_challenge(period), period.within(Offer.created_at))
        .group_by(group)
    )


def _counts(period: Period, region_column) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    """(needs, offers, accepted, delivered) per ("kind", kind) and ("region", slug): one query."""
    parts = sa.union_all(
        _needs(period, "kind", SupportNeed.kind),
        _offers(period, "kind", Offer.kind),
        _needs(period, "region", region_column),
        _offers(period, "region", region_column),
    ).subquery()
    rows = db.session.execute(
        sa.select(
            parts.c.dimension,
            parts.c.key,
            sa.func.sum(parts.c.needs),
            sa.func.sum(parts.c.offers),
            sa.func.sum(parts.c.accepted),
            sa.func.sum(parts.c.delivered),
        ).group_by(parts.c.dimension, parts.c.key)
    )
    return {
        (dimension, key): tuple(int(value or 0) for value in values)
        for dimension, key, *values in rows
        if key is not None
    }


def support_figures(period: Period) -> SupportFigures:
    """The support figures of the dashboard's period and region."""
    by_province = period.region.kind is None
    counts = _counts(period, Thread.province if by_province else Thread.regency)
    by_kind = [
        SupportRow(kind, NEED_LABELS[kind], *counts.get(("kind", kind), (0, 0, 0, 0)))
        for kind in NEED_KINDS
    ]
    name = regions().province_name if by_province else regions().regency_name
    regions_found = sorted(
        ((key, values) for (dimension, key), values in counts.items() if dimension == "region"),
        key=lambda item: (-item[1][0], -item[1][1], item[0]),
    )[:TOP_REGIONS]
    by_region = [SupportRow(key, name(key) or key, *values) for key, values in regions_found]
    total = SupportRow(
        "",
        "",
        *(sum(getattr(row, field) for row in by_kind) for field in FIELDS),
    )
    return SupportFigures(total, by_kind, by_region)
