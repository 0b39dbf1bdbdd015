"""The rules for partners: organisations, what a challenge asks for, offers and their answers.

Views, the CLI, the demo loader and tests call these; callers commit. Who may
do what is asked in :mod:`forum.permissions`; what others hear of it goes
through :mod:`forum.events` (engagement turns it into notifications).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field

import sqlalchemy as sa
import sqlalchemy.orm as so

from .. import events
from ..extensions import db
from ..insight.models import Meeting
from ..models import Thread
from ..models import User
from ..models import utcnow
from ..permissions import Refused
from ..permissions import can_see_thread
from ..permissions import check
from ..permissions import why_not_answer_offer
from ..permissions import why_not_edit_needs
from ..permissions import why_not_manage_partners
from ..permissions import why_not_mark_delivered
from ..permissions import why_not_offer
from ..regions import Region
from .models import NEED_KINDS
from .models import PARTNER_KINDS
from .models import Offer
from .models import Partner
from .models import SupportNeed
from .models import SupportRequest

BOARD_PER_PAGE = 20


class OfferNotOpen(ValueError):
    """The offer is not in the state the action needs (already answered, not accepted ...)."""


class PartnerNameTaken(ValueError):
    """Another partner organisation has this name (shown as a form error)."""


# --- partner organisations -----------------------------------------------------------------


def create_partner(actor: User | None, name: str, kind: str, region_params: Iterable[str]):
    """A new partner organisation (``actor`` None: the command line or the demo)."""
    if actor is not None:
        check(why_not_manage_partners(actor))
    if kind not in PARTNER_KINDS:
        raise ValueError(f"unknown partner kind {kind!r}")
    region_params = list(region_params)
    if any(Region.from_value(param) is None for param in region_params):
        raise ValueError(f"unknown region in {region_params!r}")
    name = name.strip()
    if db.session.scalar(sa.select(Partner.id).where(sa.func.lower(Partner.name) == name.lower())):
        raise PartnerNameTaken(name)
    partner = Partner(name=name, kind=kind, regions=" ".join(region_params), created_at=utcnow())
    db.session.add(partner)
    db.session.flush()
    return partner


def link_member(user: User, partner: Partner) -> None:
    """Make ``user`` a member of ``partner`` with the role ``partner``."""
    user.role = "partner"
    user.partner = partner
    user.partner_id = partner.id


def load_partner(partner_id: int) -> Partner | None:
    return db.session.get(Partner, partner_id)


@dataclass(frozen=True)
class PartnerListing:
    partner: Partner
    members: list[User]

    @property
    def region_names(self) -> list[str]:
        return [Region.parse(param).name for param in self.partner.region_params]


def partners_with_members() -> list[PartnerListing]:
    """Every organisation, by name, with its member accounts (two queries)."""
    partners = list(db.session.scalars(sa.select(Partner).order_by(Partner.name)))
    members: dict[int, list[User]] = {}
    for user in db.session.scalars(
        sa.select(User).where(User.partner_id.is_not(None)).order_by(User.username)
    ):
        members.setdefault(user.partner_id, []).append(user)
    return [PartnerListing(partner, members.get(partner.id, [])) for partner in partners]


# --- what a challenge asks for ---------------------------------------------------------------


def support_request(thread: Thread) -> SupportRequest | None:
    return db.session.get(SupportRequest, thread.id)


def needs_fields(thread: Thread) -> dict:
    """What the challenge form starts with: the needs as they are."""
    request = support_request(thread) if thread.kind == "challenge" else None
    if request is None:
        return {"needs": [], "needs_description": ""}
    return {"needs": request.kinds, "needs_description": request.description}


def set_needs(user: User, thread: Thread, kinds: Iterable[str], description: str) -> bool:
    """Set what a challenge needs; no kinds removes the request. Returns whether it changed.

    A practice never asks: its fields are ignored (the form shows them for challenges).
    """
    if thread.kind != "challenge":
        return False
    check(why_not_edit_needs(user, thread))
    wanted = [kind for kind in NEED_KINDS if kind in set(kinds)]
    description = (description or "").strip()
    request = support_request(thread)
    if not wanted:
        if request is None:
            return False
        db.session.delete(request)
        return True
    if request is None:
        request = SupportRequest(thread_id=thread.id, created_at=utcnow())
        db.session.add(request)
    elif request.kinds == wanted and request.description == description:
        return False
    else:
        request.updated_at = utcnow()
    request.description = description
    request.needs = [
        next((need for need in request.needs if need.kind == kind), None)
        or SupportNeed(thread_id=thread.id, kind=kind)
        for kind in wanted
    ]
    db.session.flush()
    return True


def _delivered_kinds(thread_ids: Iterable[int]) -> set[tuple[int, str]]:
    ids = list(thread_ids)
    if not ids:
        return set()
    rows = db.session.execute(
        sa.select(Offer.thread_id, Offer.kind)
        .where(Offer.thread_id.in_(ids), Offer.status == "delivered")
        .distinct()
    )
    return {(thread_id, kind) for thread_id, kind in rows}


def open_need_clause(kind: str | None = None):
    """Correlated EXISTS: the ``SupportRequest`` has a need no delivered offer has met."""
    delivered = (
        sa.select(Offer.id)
        .where(
            Offer.thread_id == SupportNeed.thread_id,
            Offer.kind == SupportNeed.kind,
            Offer.status == "delivered",
        )
        .exists()
    )
    conditions = [SupportNeed.thread_id == SupportRequest.thread_id, ~delivered]
    if kind:
        conditions.append(SupportNeed.kind == kind)
    return sa.select(SupportNeed.thread_id).where(*conditions).correlate(SupportRequest).exists()


# --- the support board ----------------------------------------------------------------------


@dataclass(frozen=True)
class BoardEntry:
    request: SupportRequest
    open_kinds: list[str]
    offers: int

    @property
    def thread(self) -> Thread:
        return self.request.thread


def board(region: Region, kind: str | None, page: int, per_page: int = BOARD_PER_PAGE):
    """Open needs of public challenges, longest waiting first: a page and its entries."""
    query = (
        sa.select(SupportRequest)
        .join(Thread, Thread.id == SupportRequest.thread_id)
        .where(
            Thread.kind == "challenge",
            Thread.is_public,
            Thread.locked.is_(False),
            region.clause(Thread.regency, Thread.province),
            open_need_clause(kind if kind in NEED_KINDS else None),
        )
        .options(
            so.contains_eager(SupportRequest.thread).joinedload(Thread.library),
            so.contains_eager(SupportRequest.thread).joinedload(Thread.author),
        )
        .order_by(SupportRequest.created_at, SupportRequest.thread_id)
    )
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    ids = [request.thread_id for request in pagination.items]
    delivered = _delivered_kinds(ids)
    counts = dict(
        db.session.execute(
            sa.select(Offer.thread_id, sa.func.count(Offer.id))
            .where(Offer.thread_id.in_(ids), Offer.status != "declined")
            .group_by(Offer.thread_id)
        ).all()
    )
    entries = [
        BoardEntry(
            request,
            [k for k in request.kinds if (request.thread_id, k) not in delivered],
            counts.get(request.thread_id, 0),
        )
        for request in pagination.items
    ]
    return pagination, entries


# --- offers ---------------------------------------------------------------------------------


def _offers_query():
    return sa.select(Offer).options(
        so.joinedload(Offer.offered_by),
        so.joinedload(Offer.meeting),
    )


def stakeholder_meetings(limit: int = 30) -> list[Meeting]:
    """Stakeholder meetings an offer may name, latest first."""
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .where(Meeting.kind == "stakeholder")
            .order_by(Meeting.starts_on.desc(), Meeting.id.desc())
            .limit(limit)
        )
    )


def make_offer(
    user: User, thread: Thread, kind: str, what: str, when: str, meeting_id: int | None = None
) -> Offer:
    """A partner offers support on a challenge; its author hears of it."""
    check(why_not_offer(user, thread))
    if kind not in NEED_KINDS:
        raise ValueError(f"unknown kind of support {kind!r}")
    meeting = db.session.get(Meeting, meeting_id) if meeting_id else None
    if meeting is not None and meeting.kind != "stakeholder":
        meeting = None
    with events.all_or_nothing():
        offer = Offer(
            thread=thread,
            partner_id=user.partner_id,
            offered_by=user,
            kind=kind,
            what=what.strip(),
            when=when.strip(),
            meeting=meeting,
            status="offered",
            created_at=utcnow(),
        )
        db.session.add(offer)
        db.session.flush()
        events.offer_made.send(offer)
    return offer


def load_offer(offer_id: int, viewer) -> Offer:
    """The offer, or :class:`Refused` as 404 when the viewer may not see its challenge."""
    offer = db.session.get(Offer, offer_id)
    if offer is None or not can_see_thread(viewer, offer.thread):
        raise Refused("not found", status=404)
    return offer


def answer_offer(user: User, offer: Offer, accept: bool, note: str = "") -> None:
    """Accept or decline an offer that waits for an answer; the partner hears either way."""
    check(why_not_answer_offer(user, offer))
    if offer.status != "offered":
        raise OfferNotOpen(offer.status)
    with events.all_or_nothing():
        offer.status = "accepted" if accept else "declined"
        offer.note = (note or "").strip() or None
        offer.answered_at = utcnow()
        offer.answered_by_id = user.id
        db.session.flush()
        events.offer_answered.send(user, offer=offer)


def mark_delivered(user: User, offer: Offer) -> None:
    """An accepted offer was delivered: its need (of that kind) is no longer open."""
    check(why_not_mark_delivered(user, offer))
    if offer.status != "accepted":
        raise OfferNotOpen(offer.status)
    with events.all_or_nothing():
        offer.status = "delivered"
        offer.delivered_at = utcnow()
        offer.delivered_by_id = user.id
        db.session.flush()
        events.offer_delivered.send(user, offer=offer)


@dataclass
class ThreadSupport:
    """What the challenge page shows of support: the request, its open kinds, the offers."""

    request: SupportRequest | None
    open_kinds: list[str] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)

    @property
    def shown(self) -> bool:
        return self.request is not None or bool(self.offers)


def thread_support(thread: Thread) -> ThreadSupport:
    """The challenge's request and offers, everything the page shows loaded (two queries)."""
    if thread.kind != "challenge":
        return ThreadSupport(None)
    request = support_request(thread)
    offers = list(
        db.session.scalars(
            _offers_query().where(Offer.thread_id == thread.id).order_by(Offer.created_at)
        ).unique()
    )
    delivered = {offer.kind for offer in offers if offer.status == "delivered"}
    open_kinds = [k for k in request.kinds if k not in delivered] if request else []
    return ThreadSupport(request, open_kinds, offers)


def offers_at_meeting(meeting: Meeting) -> list[Offer]:
    """The commitments made at a stakeholder meeting, on challenges still public."""
    if meeting.kind != "stakeholder":
        return []
    query = (
        _offers_query()
        .join(Thread, Thread.id == Offer.thread_id)
        .where(Offer.meeting_id == meeting.id, Thread.is_public)
        .options(so.contains_eager(Offer.thread).joinedload(Thread.library))
        .order_by(Offer.created_at, Offer.id)
    )
    return list(db.session.scalars(query).unique())
