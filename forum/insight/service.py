"""The rules for meetings: who records them, how threads are linked, the summary thread.

Views, tests and scripts call these; callers commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import format_date
from flask_babel import gettext as _

from ..extensions import db
from ..models import Thread
from ..models import User
from ..models import utcnow
from ..permissions import Refused
from ..permissions import check
from ..permissions import visible_threads_clause
from ..permissions import why_not_edit_meeting
from ..permissions import why_not_record_meeting
from ..regions import regions
from .models import LINK_RELATIONS
from .models import Meeting
from .models import MeetingThread


class AlreadyLinked(ValueError):
    """The thread is already linked to this meeting (shown as a form error)."""


class NotLinkable(ValueError):
    """No public thread with that number (shown as a form error)."""


@dataclass(frozen=True)
class MeetingDetails:
    """A meeting as a facilitator describes it in the form."""

    title: str
    kind: str
    starts_on: date
    ends_on: date | None
    place: str
    regency: str
    participants: int
    speakers: str = ""
    summary: str = ""


def _apply(meeting: Meeting, details: MeetingDetails) -> None:
    regency = regions().regencies[details.regency]
    meeting.title = details.title.strip()
    meeting.kind = details.kind
    meeting.starts_on = details.starts_on
    meeting.ends_on = details.ends_on or details.starts_on
    meeting.place = details.place.strip()
    meeting.regency = regency.slug
    meeting.province = regency.province.slug
    meeting.participants = details.participants
    meeting.speakers = details.speakers.strip()
    meeting.summary = details.summary


def create_meeting(author: User, details: MeetingDetails) -> Meeting:
    """Record a meeting (facilitators and admins, in a kabupaten/kota of their regions)."""
    check(why_not_record_meeting(author, details.regency))
    meeting = Meeting(created_by=author, created_at=utcnow())
    _apply(meeting, details)
    db.session.add(meeting)
    db.session.flush()
    return meeting


def update_meeting(editor: User, meeting: Meeting, details: MeetingDetails) -> None:
    check(why_not_edit_meeting(editor, meeting))
    check(why_not_record_meeting(editor, details.regency))
    _apply(meeting, details)
    meeting.updated_at = utcnow()


def load_meeting(meeting_id: int) -> Meeting:
    """The meeting, or :class:`Refused` as 404."""
    meeting = db.session.get(Meeting, meeting_id, options=[so.joinedload(Meeting.created_by)])
    if meeting is None:
        raise Refused("not found", status=404)
    return meeting


def link_thread(user: User, meeting: Meeting, thread_id: int, relation: str) -> MeetingThread:
    """Link a public thread to the meeting.

    Raises :class:`NotLinkable` or :class:`AlreadyLinked` for the form to show.
    """
    check(why_not_edit_meeting(user, meeting))
    if relation not in LINK_RELATIONS:
        raise ValueError(relation)
    thread = db.session.get(Thread, thread_id)
    if thread is None or not thread.is_public:
        raise NotLinkable(thread_id)
    if db.session.get(MeetingThread, (meeting.id, thread.id)) is not None:
        raise AlreadyLinked(thread_id)
    link = MeetingThread(
        meeting=meeting, thread=thread, relation=relation, linked_by_id=user.id, linked_at=utcnow()
    )
    db.session.add(link)
    db.session.flush()
    return link


def summary_body(meeting: Meeting) -> str:
    """The summary thread's text: when and where, then the facilitator's summary."""
    when = format_date(meeting.starts_on, "long")
    if meeting.ends_on != meeting.starts_on:
        when = f"{when} – {format_date(meeting.ends_on, 'long')}"
    place = f"{meeting.place}, {regions().regency_name(meeting.regency)}"
    lines = [f"*{when} · {place}*"]
    if meeting.speakers:
        lines.append(_("Speakers: %(speakers)s", speakers=meeting.speakers))
    return "\n\n".join([*lines, meeting.summary.strip()])


def summary_title(meeting: Meeting) -> str:
    return _("Meeting summary: %(title)s", title=meeting.title)


def link_summary_thread(user: User, meeting: Meeting, thread: Thread) -> Thread:
    """Make ``thread`` the meeting's summary, placed in the meeting's kabupaten/kota.

    The thread itself is posted by the thread service (the view calls
    ``threads.service.create_thread`` with :func:`summary_title` and
    :func:`summary_body`), so posting rules and search indexing apply as for any thread.
    """
    check(why_not_edit_meeting(user, meeting))
    thread.regency = meeting.regency
    thread.province = meeting.province
    db.session.add(
        MeetingThread(
            meeting=meeting,
            thread=thread,
            relation="summary",
            linked_by_id=user.id,
            linked_at=utcnow(),
        )
    )
    db.session.flush()
    return thread


def upcoming_meetings(today: date, limit: int = 50) -> list[Meeting]:
    """Meetings not over yet (``ends_on`` today or later), soonest first."""
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .where(Meeting.ends_on >= today)
            .order_by(Meeting.starts_on, Meeting.id)
            .limit(limit)
        )
    )


def past_meetings(today: date, page: int, per_page: int):
    """One page of meetings that are over, latest first."""
    query = (
        sa.select(Meeting)
        .where(Meeting.ends_on < today)
        .order_by(Meeting.starts_on.desc(), Meeting.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def all_meetings():
    """Every meeting (all are public), unordered: the API pages them by a cursor."""
    return sa.select(Meeting)


def summary_thread_id(meeting: Meeting) -> int | None:
    """The thread that holds the meeting's posted summary, if there is one."""
    return db.session.scalar(
        sa.select(MeetingThread.thread_id).where(
            MeetingThread.meeting_id == meeting.id, MeetingThread.relation == "summary"
        )
    )


def linked_threads(meeting: Meeting, viewer) -> list[tuple[Thread, str]]:
    """The meeting's threads the viewer may see, with how each relates; one query."""
    rows = db.session.execute(
        sa.select(Thread, MeetingThread.relation)
        .join(MeetingThread, MeetingThread.thread_id == Thread.id)
        .where(MeetingThread.meeting_id == meeting.id, visible_threads_clause(viewer))
        .options(so.joinedload(Thread.author), so.joinedload(Thread.library))
        .order_by(MeetingThread.linked_at, Thread.id)
    )
    return [(thread, relation) for thread, relation in rows]


def meetings_of_thread(thread_id: int) -> list:
    """Meetings a thread is linked to (id, title, dates, relation), for its note; one query."""
    return list(
        db.session.execute(
            sa.select(
                Meeting.id,
                Meeting.title,
                Meeting.starts_on,
                Meeting.ends_on,
                MeetingThread.relation,
            )
            .join(MeetingThread, MeetingThread.meeting_id == Meeting.id)
            .where(MeetingThread.thread_id == thread_id)
            .order_by(Meeting.starts_on, Meeting.id)
        )
    )
