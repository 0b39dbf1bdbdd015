"""The moderation rules, each written once: pin, lock, hide, move, flags, suspensions, roles.

Every change a facilitator makes is written to the moderation log in the same
transaction. Hiding and moving change Thread/Post columns through the ORM, so
the search index follows on its own; nothing here deletes a row. Callers commit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from .. import events
from ..extensions import db
from ..models import ROLES
from ..models import THREAD_KINDS
from ..models import FacilitatorScope
from ..models import Post
from ..models import Thread
from ..models import User
from ..models import utcnow
from ..permissions import Refused
from ..permissions import check
from ..permissions import scope_clause
from ..permissions import why_not_flag
from ..permissions import why_not_manage_member
from ..permissions import why_not_moderate_thread
from ..permissions import why_not_set_role
from ..permissions import why_not_set_scope
from ..regions import Region
from .models import FLAG_REASONS
from .models import FLAG_RESOLUTIONS
from .models import Flag
from .models import ModerationAction
from .models import PasswordResetToken

RESET_LINK_LIFETIME = timedelta(hours=24)


# --- threads and posts -----------------------------------------------------------------


def _set_thread_flag(actor: User, thread: Thread, name: str, value: bool, action: str) -> bool:
    check(why_not_moderate_thread(actor, thread))
    if getattr(thread, name) == value:
        return False
    with events.all_or_nothing():
        setattr(thread, name, value)
        ModerationAction.record(actor, action, thread=thread)
        events.post_moderated.send(actor, action=action, thread=thread, post=None)
    return True


def pin(actor: User, thread: Thread) -> bool:
    """Keep a thread at the top of its lists; False when it already was."""
    return _set_thread_flag(actor, thread, "pinned", True, "pin")


def unpin(actor: User, thread: Thread) -> bool:
    return _set_thread_flag(actor, thread, "pinned", False, "unpin")


def lock(actor: User, thread: Thread) -> bool:
    """No new replies (facilitators can still answer, to explain)."""
    return _set_thread_flag(actor, thread, "locked", True, "lock")


def unlock(actor: User, thread: Thread) -> bool:
    return _set_thread_flag(actor, thread, "locked", False, "unlock")


def _set_hidden(actor: User, target: Thread | Post, reason: str | None, action: str, **log) -> bool:
    """Hide (with a reason) or restore (``reason=None``) a thread or post, and log it."""
    check(why_not_moderate_thread(actor, target if isinstance(target, Thread) else target.thread))
    hide = reason is not None
    if hide and not reason:
        raise ValueError("hiding needs a reason: its author is shown it")
    if target.hidden == hide:
        return False
    with events.all_or_nothing():
        target.hidden = hide
        target.hidden_at = utcnow() if hide else None
        target.hidden_by_id = actor.id if hide else None
        target.hidden_reason = reason
        ModerationAction.record(actor, action, reason=reason, **log)
        events.post_moderated.send(actor, action=action, **{"thread": None, "post": None, **log})
    return True


def hide_thread(actor: User, thread: Thread, reason: str) -> bool:
    """Hide a thread, and with it its replies, from everyone but facilitators and its author.

    The replies' own ``hidden`` flags are left alone: they are out of sight because
    their thread is, so restoring the thread brings back exactly what this hid,
    while a reply hidden on its own stays hidden. False when it already was hidden.
    """
    return _set_hidden(actor, thread, reason.strip(), "hide_thread", thread=thread)


def restore_thread(actor: User, thread: Thread) -> bool:
    return _set_hidden(actor, thread, None, "restore_thread", thread=thread)


def hide_post(actor: User, post: Post, reason: str) -> bool:
    """Hide one reply; hiding an opening post hides its whole thread."""
    if post.is_opening:
        return hide_thread(actor, post.thread, reason)
    return _set_hidden(actor, post, reason.strip(), "hide_post", post=post)


def restore_post(actor: User, post: Post) -> bool:
    if post.is_opening:
        return restore_thread(actor, post.thread)
    return _set_hidden(actor, post, None, "restore_post", post=post)


def move_thread(actor: User, thread: Thread, kind: str) -> bool:
    """Make a practice a challenge or back; a practice has no accepted answer."""
    check(why_not_moderate_thread(actor, thread))
    if kind not in THREAD_KINDS:
        raise ValueError(f"unknown thread kind {kind!r}")
    if thread.kind == kind:
        return False
    details = f"{thread.kind} → {kind}"
    with events.all_or_nothing():
        thread.kind = kind
        if kind != "challenge" and thread.solved_at is not None:
            thread.accepted_post_id = None
            thread.solved_at = None
        ModerationAction.record(actor, "move", thread=thread, details=details)
        events.post_moderated.send(actor, action="move", thread=thread, post=None)
    return True


# --- flags -----------------------------------------------------------------------------


def has_flagged(user: User, post: Post) -> bool:
    query = sa.select(Flag.id).where(Flag.post_id == post.id, Flag.reporter_id == user.id)
    return db.session.scalar(query) is not None


def flagged_post_ids(user, post_ids: list[int]) -> set[int]:
    """Which of these posts the member has already flagged (one query, for a page)."""
    if not getattr(user, "is_authenticated", False) or not post_ids:
        return set()
    query = sa.select(Flag.post_id).where(Flag.reporter_id == user.id, Flag.post_id.in_(post_ids))
    return set(db.session.scalars(query))


def awaits_edit(post: Post) -> bool:
    """Flagged: open flags, or flags resolved with "edit" that no edit has followed yet."""
    last_written = post.edited_at or post.created_at
    for resolved_at, resolution in db.session.execute(
        sa.select(Flag.resolved_at, Flag.resolution).where(Flag.post_id == post.id)
    ):
        if resolved_at is None or (resolution == "edit" and resolved_at >= last_written):
            return True
    return False


def flag_post(reporter: User, post: Post, reason: str, details: str = "") -> Flag:
    """Ask facilitators to look at a post; each member flags a post once."""
    check(why_not_flag(reporter, post))
    if has_flagged(reporter, post):
        raise Refused(
            _l("You have already flagged this; a facilitator will look at it."), status=409
        )
    if reason not in FLAG_REASONS:
        raise ValueError(f"unknown flag reason {reason!r}")
    flag = Flag(post=post, reporter=reporter, reason=reason, details=(details or "").strip())
    db.session.add(flag)
    db.session.flush()
    return flag


@dataclass(frozen=True)
class QueueEntry:
    """One flagged post in the review queue, with its open flags (oldest first)."""

    post: Post
    flags: list[Flag]

    @property
    def first(self) -> Flag:
        return self.flags[0]

    @property
    def reasons(self) -> list[tuple[str, int]]:
        counts: dict[str, int] = {}
        for flag in self.flags:
            counts[flag.reason] = counts.get(flag.reason, 0) + 1
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def flag_queue(viewer: User, page: int, per_page: int):
    """Flagged posts with open flags in the viewer's regions, most flagged first, then the
    longest waiting.

    Returns the page of posts (a pagination) and their queue entries, in two queries.
    """
    open_flags = (
        sa.select(
            Flag.post_id,
            sa.func.count(Flag.id).label("flags"),
            sa.func.min(Flag.created_at).label("first_at"),
        )
        .where(Flag.resolved_at.is_(None))
        .group_by(Flag.post_id)
        .subquery()
    )
    query = (
        sa.select(Post)
        .join(open_flags, open_flags.c.post_id == Post.id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(scope_clause(viewer, Thread.regency, Thread.province))
        .options(
            so.joinedload(Post.thread),
            so.joinedload(Post.author),
        )
        .order_by(open_flags.c.flags.desc(), open_flags.c.first_at, Post.id)
    )
    posts = db.paginate(query, page=page, per_page=per_page, error_out=False)
    flags_by_post: dict[int, list[Flag]] = {post.id: [] for post in posts.items}
    if flags_by_post:
        for flag in db.session.scalars(
            sa.select(Flag)
            .where(Flag.post_id.in_(flags_by_post), Flag.resolved_at.is_(None))
            .options(so.joinedload(Flag.reporter))
            .order_by(Flag.created_at, Flag.id)
        ):
            flags_by_post[flag.post_id].append(flag)
    return posts, [QueueEntry(post, flags_by_post[post.id]) for post in posts.items]


def queue_entry(flag: Flag) -> QueueEntry:
    """The queue entry a flag belongs to (just that flag once all are resolved)."""
    flags = db.session.scalars(
        sa.select(Flag)
        .where(Flag.post_id == flag.post_id, Flag.resolved_at.is_(None))
        .options(so.joinedload(Flag.reporter))
        .order_by(Flag.created_at, Flag.id)
    )
    return QueueEntry(flag.post, list(flags) or [flag])


def resolve_flags(actor: User, flag: Flag, action: str, note: str = "") -> int:
    """Close every open flag of the flagged post with one decision; returns how many.

    ``hide`` hides the post (the note is the reason its author sees), ``keep``
    leaves it, ``edit`` leaves it for the facilitator to edit next.
    """
    check(why_not_moderate_thread(actor, flag.post.thread))
    if action not in FLAG_RESOLUTIONS:
        raise ValueError(f"unknown resolution {action!r}")
    note = (note or "").strip()
    post = flag.post
    open_flags = list(
        db.session.scalars(
            sa.select(Flag).where(Flag.post_id == post.id, Flag.resolved_at.is_(None))
        )
    )
    if not open_flags:
        return 0
    now = utcnow()
    for each in open_flags:
        each.resolved_at = now
        each.resolved_by = actor
        each.resolution = action
        each.resolution_note = note or None
    if action == "hide":
        hide_post(actor, post, note)
    ModerationAction.record(
        actor,
        "resolve_flags",
        post=post,
        reason=note or None,
        details=f"{action} ({len(open_flags)})",
    )
    return len(open_flags)


# --- members ---------------------------------------------------------------------------


def find_member(username: str) -> User | None:
    """The member with this username; a deleted account is nobody (its pages are 404)."""
    return db.session.scalar(
        sa.select(User).where(
            User.username == username.strip().lower()[:30], User.deleted_at.is_(None)
        )
    )


def suspension_end(day: date, timezone: str) -> datetime:
    """When a suspension "until ``day``" ends: the start of that day in ``timezone``."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone))


def suspend(actor: User, member: User, until: date | None, reason: str, timezone: str) -> None:
    """Stop a member posting until the day ``until`` begins (``None``: until lifted).

    They can still log in and read, and see the reason wherever posting is refused.
    """
    check(why_not_manage_member(actor, member))
    ends = suspension_end(until, timezone) if until is not None else None
    if ends is not None and ends <= utcnow():
        raise ValueError("a suspension must end in the future")
    reason = reason.strip()
    member.suspended_until = ends
    member.suspended_indefinitely = ends is None
    member.suspension_reason = reason
    ModerationAction.record(
        actor,
        "suspend",
        subject=member,
        reason=reason,
        details=until.isoformat() if until is not None else "indefinitely",
    )


def unsuspend(actor: User, member: User) -> bool:
    check(why_not_manage_member(actor, member))
    if not member.is_suspended:
        return False
    member.suspended_until = None
    member.suspended_indefinitely = False
    member.suspension_reason = None
    ModerationAction.record(actor, "unsuspend", subject=member)
    return True


def set_role(actor: User, member: User, role: str) -> bool:
    """Promote a librarian to facilitator or back (admins only)."""
    check(why_not_set_role(actor, member))
    if role not in ROLES or role in ("admin", "partner"):  # a partner needs an organisation
        raise ValueError(f"role {role!r} cannot be given from the web")
    if member.role == role:
        return False
    details = f"{member.role} → {role}"
    member.role = role
    if role != "facilitator":
        member.scopes = []  # promoted again later, they start without a region
    member.partner_id = None  # no longer speaks for a partner organisation
    ModerationAction.record(actor, "set_role", subject=member, details=details)
    return True


def replace_scope(member: User, regions: list[Region]) -> bool:
    """Give a facilitator exactly these regions (the command line's way; no log line)."""
    values = sorted({region.value for region in regions})
    if values == [scope.region for scope in member.scopes]:
        return False
    member.scopes = [FacilitatorScope(region=value) for value in values]
    return True


def set_scope(actor: User, member: User, regions: list[Region]) -> bool:
    """An admin gives a facilitator the regions they look after (logged)."""
    check(why_not_set_scope(actor, member))
    before = ", ".join(scope.region for scope in member.scopes) or "-"
    if not replace_scope(member, regions):
        return False
    after = ", ".join(scope.region for scope in member.scopes) or "-"
    ModerationAction.record(actor, "set_scope", subject=member, details=f"{before} → {after}"[:200])
    return True


def issue_reset_link(actor: User, member: User, *, now: datetime | None = None) -> str:
    """Make a one-time password-reset token for a member; returns the token (shown once).

    Only its hash is stored; earlier unused links for the member stop working.
    """
    check(why_not_manage_member(actor, member))
    now = now or utcnow()
    db.session.execute(
        sa.update(PasswordResetToken)
        .where(
            PasswordResetToken.user_id == member.id,
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > now,
        )
        .values(expires_at=now)
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        PasswordResetToken(
            user=member,
            token_hash=PasswordResetToken.digest(token),
            created_by=actor,
            created_at=now,
            expires_at=now + RESET_LINK_LIFETIME,
        )
    )
    ModerationAction.record(actor, "reset_link", subject=member)
    return token


# --- the log ---------------------------------------------------------------------------


def log_page(*, actor: str | None, action: str | None, page: int, per_page: int):
    """A page of the moderation log, newest first, filtered by actor username and action."""
    query = sa.select(ModerationAction).options(
        so.joinedload(ModerationAction.actor),
        so.joinedload(ModerationAction.thread),
        so.joinedload(ModerationAction.post),
        so.joinedload(ModerationAction.subject),
    )
    if actor:
        actor_id = sa.select(User.id).where(User.username == actor).scalar_subquery()
        query = query.where(ModerationAction.actor_id == actor_id)
    if action:
        query = query.where(ModerationAction.action == action)
    query = query.order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
