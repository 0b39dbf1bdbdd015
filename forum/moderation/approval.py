"""New members vouched for (REGISTRATION_APPROVAL): the queue, approving, refusing.

A waiting member's threads and replies are stored with ``waiting`` set, so every
list, count, feed and the search index leave them out (``is_public``); their
author and facilitators see them, marked. A facilitator whose scope covers the
member's kabupaten/kota approves (the posts are published) or refuses with a
reason (the posts are withdrawn; the account may read, never post). Both are
logged; the member hears in the app (through ``post_moderated``) and by e-mail.
Callers commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import events
from ..extensions import db
from ..mail import build_message
from ..mail import recipient
from ..models import Library
from ..models import LibraryRequest
from ..models import Post
from ..models import User
from ..models import utcnow
from ..permissions import check
from ..permissions import scope_clause
from ..permissions import why_not_decide_approval
from ..urls import external_url
from .models import ModerationAction

WAITING_LONG = timedelta(hours=48)
QUEUE_LIMIT = 200


@dataclass(frozen=True)
class PendingMember:
    member: User
    posts: list[Post]
    waited_long: bool


def pending_members(viewer: User, *, now: datetime | None = None) -> list[PendingMember]:
    """Members waiting in the viewer's regions, the longest waiting (over 48 hours) first."""
    now = now or utcnow()
    members = list(
        db.session.scalars(
            sa.select(User)
            # A member's place: their library's, or the one they asked to join.
            .outerjoin(
                LibraryRequest,
                sa.and_(LibraryRequest.user_id == User.id, LibraryRequest.status == "waiting"),
            )
            .outerjoin(
                Library, Library.id == sa.func.coalesce(User.library_id, LibraryRequest.library_id)
            )
            .where(
                User.approval == "waiting",
                User.deleted_at.is_(None),
                scope_clause(viewer, Library.regency, Library.province),
            )
            .options(
                so.joinedload(User.library),
                so.selectinload(User.library_requests).joinedload(LibraryRequest.library),
            )
            .order_by(User.created_at, User.id)
            .limit(QUEUE_LIMIT)
        )
    )
    posts: dict[int, list[Post]] = {member.id: [] for member in members}
    if posts:
        for post in db.session.scalars(
            sa.select(Post)
            .where(Post.author_id.in_(posts), Post.waiting.is_(True), Post.withdrawn_at.is_(None))
            .options(so.joinedload(Post.thread))
            .order_by(Post.created_at, Post.id)
        ):
            posts[post.author_id].append(post)
    return [
        PendingMember(member, posts[member.id], now - member.created_at > WAITING_LONG)
        for member in members
    ]


def _waiting_posts(member: User) -> list[Post]:
    return list(
        db.session.scalars(
            sa.select(Post)
            .where(Post.author_id == member.id, Post.waiting.is_(True), Post.withdrawn_at.is_(None))
            .options(so.joinedload(Post.thread))
            .order_by(Post.created_at, Post.id)
        )
    )


def _decide(actor: User, member: User, action: str, reason: str | None) -> list[Post]:
    posts = _waiting_posts(member)
    now = utcnow()
    with events.all_or_nothing():
        for post in posts:
            targets = [post, post.thread] if post.is_opening else [post]
            for target in targets:
                if action == "approve_member":
                    target.waiting = False
                else:
                    target.withdrawn_at = now
        ModerationAction.record(
            actor, action, subject=member, reason=reason, details=f"{len(posts)} posts"
        )
        # The member hears of it in the app: about their first post, or, when they wrote
        # nothing yet, about their account.
        first = posts[0] if posts else None
        events.post_moderated.send(
            actor, action=action, thread=first.thread if first else None, post=first, member=member
        )
    return posts


def approve(actor: User, member: User) -> list[Post]:
    """Vouch for a waiting member: their waiting threads and replies are published."""
    check(why_not_decide_approval(actor, member))
    member.approval = None
    member.approval_reason = None
    return _decide(actor, member, "approve_member", None)


def refuse(actor: User, member: User, reason: str) -> list[Post]:
    """Refuse a waiting member with the reason they see: they read, never post; their
    waiting posts are withdrawn."""
    check(why_not_decide_approval(actor, member))
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("refusing needs a reason: the person is shown it")
    member.approval = "refused"
    member.approval_reason = reason
    return _decide(actor, member, "refuse_member", reason)


def decision_mail(member: User):
    """The e-mail telling a member what a facilitator decided (after approve or refuse)."""
    with force_locale(member.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        if member.is_refused:
            subject = _("Serambi: your account was not approved")
            body = _(
                "A facilitator did not approve your account: %(reason)s. You can still "
                "read Serambi, but not post.",
                reason=member.approval_reason,
            )
        else:
            subject = _("Serambi: your account is approved")
            body = _("A facilitator approved your account: what you wrote is published now.")
        paragraphs = [
            _("Hello %(name)s,", name=member.display_name),
            body,
            external_url("threads.home"),
        ]
        return build_message(
            to=recipient(member.display_name, member.email), subject=subject, paragraphs=paragraphs
        )
