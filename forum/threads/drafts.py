"""Drafts: the text of an unfinished thread or reply, kept per member on the server.

Saved by the form's "Save draft" button (and, where JavaScript runs, every few
seconds while typing); restored when the member comes back to the form;
discarded when the thread or reply is posted.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..models import Draft
from ..models import Thread
from ..models import User
from ..models import utcnow
from ..permissions import visible_threads_clause
from ..sections import SECTION_NAMES

# What a draft may hold: the forms' own fields, each cut to the form's limits.
MAX_VALUE = 20_000
THREAD_DRAFT_FIELDS = ("kind", "title", "body", "tags", *SECTION_NAMES)
REPLY_DRAFT_FIELDS = ("body",)


def slot_for(thread: Thread | None) -> str:
    return "thread" if thread is None else f"reply-{thread.id}"


def _clean(data: dict, fields: tuple[str, ...]) -> dict:
    return {
        name: str(data[name])[:MAX_VALUE] for name in fields if data.get(name) not in (None, "")
    }


def save_draft(
    user: User, data: dict, fields: tuple[str, ...] | None = None, thread: Thread | None = None
):
    """Keep ``fields`` of ``data`` (by default the thread or reply form's); an empty form
    removes the draft. Callers commit."""
    if fields is None:
        fields = THREAD_DRAFT_FIELDS if thread is None else REPLY_DRAFT_FIELDS
    values = _clean(data, fields)
    draft = find_draft(user, thread)
    if not values.get("body") and not values.get("title"):
        if draft is not None:
            db.session.delete(draft)
        return None
    if draft is None:
        draft = Draft(user_id=user.id, slot=slot_for(thread), thread=thread, data=values)
        db.session.add(draft)
    else:
        draft.data = values
    draft.updated_at = utcnow()
    return draft


def find_draft(user: User, thread: Thread | None = None) -> Draft | None:
    if not user.is_authenticated:
        return None
    return db.session.scalar(
        sa.select(Draft).where(Draft.user_id == user.id, Draft.slot == slot_for(thread))
    )


def discard_draft(user: User, thread: Thread | None = None) -> None:
    db.session.execute(
        sa.delete(Draft).where(Draft.user_id == user.id, Draft.slot == slot_for(thread))
    )


def list_drafts(user: User) -> list[Draft]:
    """The member's drafts, newest first; replies only while their thread is visible."""
    return list(
        db.session.scalars(
            sa.select(Draft)
            .outerjoin(Draft.thread)
            .where(
                Draft.user_id == user.id,
                sa.or_(Draft.thread_id.is_(None), visible_threads_clause(user)),
            )
            .options(sa.orm.contains_eager(Draft.thread))
            .order_by(Draft.updated_at.desc(), Draft.id.desc())
        )
    )


def own_draft(user: User, draft_id: int) -> Draft | None:
    """The member's draft with this id; another member's is as good as missing."""
    return db.session.scalar(sa.select(Draft).where(Draft.id == draft_id, Draft.user_id == user.id))
