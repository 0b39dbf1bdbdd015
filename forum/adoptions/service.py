"""The rules for adoptions and for practices linked to challenges; callers commit.

A library records that it tries a practice ("Kami mencoba ini"): one
:class:`Adoption` per library and practice, updated as it goes on, each save
kept in ``adoption_updates``. Every save is also told in the practice's thread
as a reply written by the member, which carries the photos (the attachments
area stores them, as for any reply) and which a facilitator can hide like any
reply: a hidden or withdrawn story takes its adoption out of every list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import force_locale
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from .. import events
from ..converters import MAX_ID
from ..extensions import db
from ..models import Library
from ..models import Post
from ..models import Thread
from ..models import User
from ..models import utcnow
from ..permissions import Refused
from ..permissions import can_see_thread
from ..permissions import check
from ..permissions import visible_posts_clause
from ..permissions import visible_threads_clause
from ..permissions import why_not_adopt
from ..permissions import why_not_link_practice
from ..refusals import Refusal
from ..stored_html import store_html
from .models import ADOPTION_STATUSES
from .models import Adoption
from .models import AdoptionUpdate
from .models import PracticeLink

# The list on a practice: what is running first, then what is being tried, planned, stopped.
STATUS_ORDER = {"running": 0, "trying": 1, "planned": 2, "stopped": 3}
THREAD_ADDRESS = re.compile(r"(?:^|/)threads/(\d{1,12})(?:[/?#]|$)")


@dataclass(frozen=True)
class AdoptionDetails:
    """What the form says about trying a practice."""

    status: str
    started_on: date
    adapted: str
    result: str | None = None
    participants: int | None = None

    def values(self) -> dict:
        return {
            "status": self.status,
            "started_on": self.started_on,
            "adapted": self.adapted,
            "result": self.result or None,
            "participants": self.participants,
        }


def load_practice(thread_id: int, viewer) -> Thread:
    """A practice the viewer may see, or :class:`Refused` as 404 (a challenge has no adoptions)."""
    thread = db.session.get(Thread, thread_id, options=[so.joinedload(Thread.library)])
    if thread is None or thread.kind != "practice" or not can_see_thread(viewer, thread):
        raise Refused("not found", status=404)
    return thread


def load_challenge(thread_id: int, viewer) -> Thread:
    thread = db.session.get(Thread, thread_id)
    if thread is None or thread.kind != "challenge" or not can_see_thread(viewer, thread):
        raise Refused("not found", status=404)
    return thread


def _find(practice: Thread, library_id: int) -> Adoption | None:
    return db.session.scalar(
        sa.select(Adoption).where(
            Adoption.practice_id == practice.id, Adoption.library_id == library_id
        )
    )


def _new_adoption(member: User, practice: Thread, details: AdoptionDetails, now) -> Adoption:
    """The library's record, made once; two members of one library saving at once share it."""
    library = member.library
    adoption = Adoption(
        practice=practice,
        library=library,
        regency=library.regency,
        province=library.province,
        created_by=member,
        updated_by=member,
        created_at=now,
        **details.values(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(adoption)
            db.session.flush()
    except IntegrityError:
        adoption = _find(practice, library.id)
        if adoption is None:
            raise
    return adoption


def story_body(member: User, details: AdoptionDetails) -> str:
    """The reply that tells the practice's thread about the adoption (Markdown).

    Written in the member's language, as if they had typed it (the page language
    of whoever reads it later does not change a post).
    """
    with force_locale(member.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _story_lines(details)


def _opening_line(status: str, when: str) -> str:
    """One sentence per status (a plan has no "since"; "trying: trying it now" read oddly)."""
    if status == "planned":
        return _("We plan to try this practice, starting %(date)s.", date=when)
    if status == "running":
        return _("This practice has been running in our library since %(date)s.", date=when)
    if status == "stopped":
        return _("We tried this practice from %(date)s and have stopped it.", date=when)
    return _("We have been trying this practice since %(date)s.", date=when)


def _story_lines(details: AdoptionDetails) -> str:
    when = format_date(details.started_on, "long")
    lines = [
        f"**{_opening_line(details.status, when)}**",
        "",
        f"**{_('What we adapted')}:** {details.adapted}",
    ]
    if details.result:
        lines += ["", f"**{_('Result')}:** {details.result}"]
    if details.participants:
        lines += ["", f"**{_('Participants')}:** {details.participants}"]
    return "\n".join(lines)


def record_adoption(
    member: User, practice: Thread, details: AdoptionDetails, *, files=(), now=None
) -> tuple[Adoption, bool]:
    """Record, or update, that the member's library tries the practice; returns (it, is new).

    The earlier version stays in the history; the thread gets a reply telling
    it, with the ``files``; the practice's author and followers hear of it.
    All of it, or (a refused file) nothing.
    """
    check(why_not_adopt(member, practice))
    if details.status not in ADOPTION_STATUSES:
        raise Refusal("status", _l("Choose how far your library is."))
    now = now or utcnow()
    with events.all_or_nothing():
        adoption = _find(practice, member.library_id)
        created = adoption is None
        if created:
            adoption = _new_adoption(member, practice, details, now)
        for name, value in details.values().items():
            setattr(adoption, name, value)
        story = Post(
            thread=practice, author=member, body=story_body(member, details), created_at=now
        )
        store_html(story)
        db.session.add(story)
        practice.last_activity_at = now
        adoption.updated_by = member
        adoption.updated_at = now
        adoption.post = story
        db.session.flush()
        update = AdoptionUpdate(
            adoption=adoption, author=member, post=story, created_at=now, **details.values()
        )
        db.session.add(update)
        db.session.flush()
        events.adoption_recorded.send(adoption, practice=practice, post=story)
        events.post_written.send(story, author=member, files=files)
    return adoption, created


def own_adoption(member, practice: Thread) -> Adoption | None:
    """The member's library's record for this practice, to fill the form with."""
    library_id = getattr(member, "library_id", None)
    if not getattr(member, "is_authenticated", False) or library_id is None:
        return None
    return _find(practice, library_id)


def _story_visible(viewer):
    """Adoptions whose latest story the viewer may see (a hidden story hides the adoption)."""
    return sa.or_(Adoption.post_id.is_(None), visible_posts_clause(viewer))


def _visible(viewer):
    """Adoptions the viewer may see, of practices the viewer may see."""
    return (
        sa.select(Adoption)
        .join(Thread, Thread.id == Adoption.practice_id)
        .outerjoin(Post, Post.id == Adoption.post_id)
        .where(visible_threads_clause(viewer), _story_visible(viewer))
    )


def _with_details(query):
    return query.options(
        so.contains_eager(Adoption.practice).joinedload(Thread.library),
        so.joinedload(Adoption.library),
        so.contains_eager(Adoption.post).selectinload(Post.attachments),
    )


def adoptions_of(practice: Thread, viewer) -> list[Adoption]:
    """The libraries trying the practice that the viewer may see, running ones first."""
    rows = db.session.scalars(
        _with_details(_visible(viewer).where(Adoption.practice_id == practice.id))
    ).unique()
    return sorted(rows, key=_running_first)


def _running_first(adoption: Adoption):
    """The order of a practice's adoptions: running ones first, the latest news first."""
    return STATUS_ORDER[adoption.status], -adoption.updated_at.timestamp(), adoption.id


@dataclass(frozen=True)
class Spread:
    """Tried in N libraries in M kabupaten/kota; and how many only plan to."""

    libraries: int
    regencies: int
    planned: int


def _spread(found: list[tuple[str, str | None]]) -> Spread:
    """From (status, regency) pairs: a plan is not a try yet."""
    tried = [regency for status, regency in found if status != "planned"]
    return Spread(len(tried), len(set(tried)), len(found) - len(tried))


def spread_of(adoptions: list[Adoption]) -> Spread:
    return _spread([(a.status, a.regency) for a in adoptions])


def spreads_of(practice_ids: list[int], viewer) -> dict[int, Spread]:
    """Each practice's spread as its page counts it, for a list (one query for the page)."""
    if not practice_ids:
        return {}
    rows = db.session.execute(
        _visible(viewer)
        .where(Adoption.practice_id.in_(practice_ids))
        .with_only_columns(Adoption.practice_id, Adoption.status, Adoption.regency)
    )
    by_practice: dict[int, list] = {}
    for practice_id, status, regency in rows:
        by_practice.setdefault(practice_id, []).append((status, regency))
    return {practice_id: _spread(found) for practice_id, found in by_practice.items()}


def history_of(adoptions: list[Adoption]) -> dict[int, list[AdoptionUpdate]]:
    """Each adoption's earlier versions, newest first (one query for the page)."""
    ids = [a.id for a in adoptions]
    out: dict[int, list[AdoptionUpdate]] = {a.id: [] for a in adoptions}
    if not ids:
        return out
    rows = db.session.scalars(
        sa.select(AdoptionUpdate)
        .where(AdoptionUpdate.adoption_id.in_(ids))
        .options(so.joinedload(AdoptionUpdate.author))
        .order_by(AdoptionUpdate.id.desc())
    )
    for row in rows:
        out[row.adoption_id].append(row)
    return out


# --- a library's page ---------------------------------------------------------------


def load_library(library_id: int) -> Library:
    library = db.session.get(Library, library_id) if library_id <= MAX_ID else None
    if library is None:
        raise Refused("not found", status=404)
    return library


def taken_by(library: Library, viewer) -> list[Adoption]:
    """Practices of other libraries this library tries."""
    query = _visible(viewer).where(
        Adoption.library_id == library.id,
        sa.or_(Thread.library_id.is_(None), Thread.library_id != library.id),
    )
    return list(
        db.session.scalars(_with_details(query).order_by(Adoption.updated_at.desc())).unique()
    )


def taken_from(library: Library, viewer) -> list[Adoption]:
    """Other libraries trying this library's practices."""
    query = _visible(viewer).where(
        Thread.library_id == library.id, Adoption.library_id != library.id
    )
    return list(
        db.session.scalars(_with_details(query).order_by(Adoption.updated_at.desc())).unique()
    )


def members_of(library: Library) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.library_id == library.id, User.deleted_at.is_(None))
            .order_by(User.stored_display_name)
        )
    )


# --- challenges meet practices ---------------------------------------------------------


def practice_id_from(reference: str) -> int | None:
    """A thread's number from "12", "#12" or an address like https://.../threads/12."""
    text = (reference or "").strip().lstrip("#")
    if text.isdigit():
        number = int(text)
    else:
        match = THREAD_ADDRESS.search(text)
        number = int(match.group(1)) if match else 0
    return number if 0 < number <= MAX_ID else None


def _public_practice(thread_id: int | None) -> Thread | None:
    thread = db.session.get(Thread, thread_id) if thread_id is not None else None
    if thread is None or thread.kind != "practice" or not thread.is_public:
        return None
    return thread


def link_practice(member: User, challenge: Thread, reference: str, *, now=None):
    """Link a public best practice to the challenge; returns (the link, whether it is new)."""
    check(why_not_link_practice(member, challenge))
    practice = _public_practice(practice_id_from(reference))
    if practice is None:
        raise Refusal("practice", _l("Give the number or address of a public best practice."))
    link = db.session.scalar(
        sa.select(PracticeLink).where(
            PracticeLink.challenge_id == challenge.id, PracticeLink.practice_id == practice.id
        )
    )
    if link is not None:
        return link, False
    link = PracticeLink(
        challenge=challenge, practice=practice, linked_by=member, created_at=now or utcnow()
    )
    try:
        with db.session.begin_nested():
            db.session.add(link)
            db.session.flush()
    except IntegrityError:  # linked by someone else at the same moment
        return link, False
    return link, True


def linked_practice(challenge: Thread, reference: str) -> Thread:
    """The practice a solved-by form names: it must be linked to the challenge and public."""
    practice = _public_practice(practice_id_from(reference))
    linked = practice is not None and db.session.scalar(
        sa.select(PracticeLink.id).where(
            PracticeLink.challenge_id == challenge.id, PracticeLink.practice_id == practice.id
        )
    )
    if not linked:
        raise Refusal("practice", _l("Only a public best practice linked here can solve it."))
    return practice


def solution_chosen(actor: User, thread: Thread, post, practice: Thread | None = None) -> None:
    """Keep the links in step with the challenge (listens to ``answer_accepted``).

    The chosen practice's link is marked; an accepted answer, or clearing,
    unmarks every link.
    """
    found = False
    for link in db.session.scalars(
        sa.select(PracticeLink).where(PracticeLink.challenge_id == thread.id)
    ):
        chosen = practice is not None and link.practice_id == practice.id
        link.solved_at = thread.solved_at if chosen else None
        found = found or chosen
    if practice is not None and not found:
        raise Refusal("practice", _l("Only a public best practice linked here can solve it."))


def subscribe() -> None:
    events.answer_accepted.connect(solution_chosen, weak=False)


def _links(*where, load=None) -> list[PracticeLink]:
    """Links between challenges and practices; ``load``: the side(s) to load with them
    (both, each practice with its library, unless told)."""
    if load is None:
        load = (
            so.joinedload(PracticeLink.practice).joinedload(Thread.library),
            so.joinedload(PracticeLink.challenge),
        )
    rows = db.session.scalars(
        sa.select(PracticeLink).options(*load).where(*where).order_by(PracticeLink.id)
    )
    return list(rows)


@dataclass(frozen=True)
class ThreadPanel:
    """What the thread page shows of this area, computed once per page."""

    adoptions: list
    spread: Spread | None = None
    own: Adoption | None = None
    linked: list = ()  # a challenge's linked practices (PracticeLink rows)
    solution: Thread | None = None  # the practice solving the challenge
    solved: list = ()  # the challenges this practice solved


def _panel_adoptions(practice: Thread, viewer) -> tuple[list[Adoption], Adoption | None]:
    """:func:`adoptions_of` and :func:`own_adoption` for the practice's own page, in one
    statement: the viewer's library's record comes with the listed ones even when its story
    is hidden from the viewer (it fills the form, it is not listed).

    The practice itself is not checked again: the page showing it already did
    (:func:`forum.threads.service.load_thread`).
    """
    member = viewer if getattr(viewer, "is_authenticated", False) else None
    library_id = getattr(member, "library_id", None)
    listed = _story_visible(viewer)
    query = (
        sa.select(Adoption, listed.label("listed"))
        .outerjoin(Post, Post.id == Adoption.post_id)
        .where(Adoption.practice_id == practice.id)
        .where(listed if library_id is None else sa.or_(listed, Adoption.library_id == library_id))
        .options(
            so.joinedload(Adoption.library),
            so.contains_eager(Adoption.post).selectinload(Post.attachments),
        )
    )
    rows = db.session.execute(query).unique().all()
    own = next((a for a, _ in rows if library_id is not None and a.library_id == library_id), None)
    return sorted((a for a, is_listed in rows if is_listed), key=_running_first), own


def thread_panel(thread: Thread, viewer) -> ThreadPanel:
    if thread.kind == "practice":
        adoptions, own = _panel_adoptions(thread, viewer)
        solved = [
            link.challenge
            for link in _links(
                PracticeLink.practice_id == thread.id,
                PracticeLink.solved_at.is_not(None),
                load=[so.joinedload(PracticeLink.challenge)],  # the practice is this thread
            )
            if link.challenge.is_solved
            and link.challenge.accepted_post_id is None
            and can_see_thread(viewer, link.challenge)
        ]
        return ThreadPanel(adoptions, spread_of(adoptions), own, solved=solved)
    links = [
        link
        for link in _links(PracticeLink.challenge_id == thread.id)
        if can_see_thread(viewer, link.practice)
    ]
    solution = None
    if thread.is_solved and thread.accepted_post_id is None:
        solution = next((link.practice for link in links if link.solved_at is not None), None)
    return ThreadPanel([], linked=links, solution=solution)
