"""Verifying practices: the one place the rules are written (web, demo, CLI and tests alike).

A facilitator marks a best practice "Terverifikasi" with a summary (what worked,
for whom, what it costs). Writing a new summary keeps the one it replaces, as
editing a post keeps its earlier version; taking the mark away keeps the row, so
verifying again continues the same history. The practice's posts carry the mark
into the search index through the outbox (``PracticeVerification.search_changes``).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from .. import events
from ..extensions import db
from ..models import Thread
from ..models import utcnow
from ..permissions import check
from ..permissions import visible_threads_clause
from ..permissions import why_not_verify
from ..stored_html import keep_html
from ..stored_html import store_html
from .models import PracticeVerification
from .models import VerificationRevision

SUMMARY_MAX = 5000  # characters of Markdown


class NotAPractice(ValueError):
    """Only best practices are verified (a challenge is not)."""


def verify(actor, thread: Thread, summary: str) -> bool:
    """Mark ``thread`` verified with ``summary``; False when nothing changed."""
    check(why_not_verify(actor, thread))
    if thread.kind != "practice":
        raise NotAPractice(thread.id)
    verification = thread.verification
    if verification is not None and verification.is_active and verification.body == summary:
        return False
    with events.all_or_nothing():
        if verification is None:
            verification = PracticeVerification(thread=thread, verified_by_id=actor.id)
        elif verification.body != summary:
            revision = VerificationRevision(
                verification=verification,
                body=verification.body,
                written_by_id=verification.verified_by_id,
                written_at=verification.verified_at,
            )
            keep_html(revision, verification)
            db.session.add(revision)
        verification.body = summary
        store_html(verification)
        verification.verified_by_id = actor.id
        verification.verified_at = utcnow()
        verification.unverified_at = verification.unverified_by_id = None
        db.session.add(verification)
        events.practice_verified.send(actor, thread=thread, verified=True)
    return True


def unverify(actor, thread: Thread) -> bool:
    """Take the mark away (the summary and its history stay); False if it was not verified."""
    check(why_not_verify(actor, thread))
    if not thread.is_verified:
        return False
    with events.all_or_nothing():
        thread.verification.unverified_at = utcnow()
        thread.verification.unverified_by_id = actor.id
        events.practice_verified.send(actor, thread=thread, verified=False)
    return True


def earlier_summaries(verification: PracticeVerification) -> list[VerificationRevision]:
    """The summaries a verification had before, newest first."""
    return list(
        db.session.scalars(
            verification.revisions.select().options(so.joinedload(VerificationRevision.written_by))
        )
    )


def verified_practices(viewer, *, page: int = 1, per_page: int = 20):
    """A page of verified practices the viewer can see, the most recently verified first."""
    query = (
        sa.select(Thread)
        .join(PracticeVerification, PracticeVerification.thread_id == Thread.id)
        .where(
            Thread.kind == "practice",
            PracticeVerification.unverified_at.is_(None),
            visible_threads_clause(viewer),
        )
        .options(so.joinedload(Thread.author), so.joinedload(Thread.library))
        .order_by(PracticeVerification.verified_at.desc(), Thread.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
