"""Who may see and do what. Views, services and templates all ask here.

Each ``why_not_*`` function returns the reason an action is refused (shown to
the member on a 403 page) or ``None`` when it is allowed; ``can_*`` wrap them for
templates. Services raise :class:`Refused` so every caller gets the same rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from .models import Post
    from .models import Thread
    from .models import User


class Refused(Exception):
    """An action a rule does not allow; rendered as 403 with the reason (or 404)."""

    def __init__(self, reason, status: int = 403):
        super().__init__(str(reason))
        self.reason = reason
        self.status = status


def _member(user) -> User | None:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def is_moderator(user) -> bool:
    member = _member(user)
    return member is not None and member.is_facilitator


def can_see_thread(user, thread: Thread) -> bool:
    """Public threads for everyone; hidden ones for facilitators and their author."""
    if thread.is_public or is_moderator(user):
        return True
    member = _member(user)
    return thread.withdrawn_at is None and member is not None and member.id == thread.author_id


def can_see_post(user, post: Post) -> bool:
    if not can_see_thread(user, post.thread):
        return False
    if post.is_public or is_moderator(user):
        return True
    member = _member(user)
    return post.withdrawn_at is None and member is not None and member.id == post.author_id


def visible_threads_clause(user):
    """SQL condition for threads a user may find in lists (hidden ones only for facilitators)."""
    from .models import Thread

    if is_moderator(user):
        return sa.true()
    return sa.and_(Thread.hidden.is_(False), Thread.withdrawn_at.is_(None))


def visible_posts_clause(user):
    from .models import Post

    if is_moderator(user):
        return sa.true()
    return sa.and_(Post.hidden.is_(False), Post.withdrawn_at.is_(None))


def why_not_post(user):
    member = _member(user)
    if member is None:
        return _l("Please log in first.")
    if member.is_suspended:
        reason = member.suspension_reason or _l("no reason given")
        return _l("Your account is suspended: %(reason)s", reason=reason)
    return None


def why_not_reply(user, thread: Thread):
    refusal = why_not_post(user)
    if refusal:
        return refusal
    if thread.locked and not is_moderator(user):
        return _l("This thread is locked: no new replies.")
    if not thread.is_public:
        return _l("This thread is not open for replies.")
    return None


def why_not_edit(user, post: Post):
    refusal = why_not_post(user)
    if refusal:
        return refusal
    if is_moderator(user):
        return None
    if post.author_id != user.id:
        return _l("You can only edit your own posts.")
    if post.thread.locked:
        return _l("This thread is locked.")
    return None


def why_not_withdraw(user, post: Post):
    member = _member(user)
    if member is None:
        return _l("Please log in first.")
    if post.author_id != member.id:
        return _l("You can only withdraw your own posts.")
    return None


def can_reply(user, thread: Thread) -> bool:
    return why_not_reply(user, thread) is None


def can_edit(user, post: Post) -> bool:
    return why_not_edit(user, post) is None


def can_withdraw(user, post: Post) -> bool:
    return why_not_withdraw(user, post) is None and post.withdrawn_at is None


def check(reason) -> None:
    """Raise :class:`Refused` when a ``why_not_*`` answer is a reason."""
    if reason is not None:
        raise Refused(reason)


TEMPLATE_HELPERS = {
    "can_reply": can_reply,
    "can_edit": can_edit,
    "can_withdraw": can_withdraw,
    "is_moderator": is_moderator,
    "can_see_post": can_see_post,
}
