"""What a notification says, in the language active when it is shown or e-mailed."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .models import Notification

KIND_LABELS = {
    "reply": _l("Replies in threads I follow"),
    "new_thread": _l("New threads with tags I follow"),
    "accepted": _l("Accepted answers"),
    "adoption": _l("Libraries trying practices I wrote or follow"),
    "mention": _l("Mentions of me (@username)"),
    "moderation": _l("A facilitator's action on my posts"),
    "support": _l("Offers of support on my challenges, and answers to my offers"),
    "library": _l("Requests to join my library, and answers to mine"),
}

_LIBRARY = {
    "join_request": _l("%(actor)s asks to join your library. Confirm if you know them."),
    "join_confirmed": _l("%(actor)s confirmed you as a member of your library."),
    "join_declined": _l("%(actor)s did not confirm your request to join the library."),
}

_SUPPORT = {
    "offer_made": _l("%(actor)s offered support on “%(thread)s”."),
    "offer_accepted": _l("%(actor)s accepted your offer on “%(thread)s”."),
    "offer_declined": _l("%(actor)s declined your offer on “%(thread)s”."),
    "offer_delivered": _l("%(actor)s marked the support on “%(thread)s” delivered."),
}

_MODERATION = {
    "hide_thread": _l("A facilitator hid your thread “%(thread)s”."),
    "restore_thread": _l("A facilitator restored your thread “%(thread)s”."),
    "hide_post": _l("A facilitator hid your reply in “%(thread)s”."),
    "restore_post": _l("A facilitator restored your reply in “%(thread)s”."),
    "move": _l("A facilitator moved your thread “%(thread)s”."),
    "lock": _l("A facilitator locked your thread “%(thread)s”."),
    "unlock": _l("A facilitator unlocked your thread “%(thread)s”."),
    "edit_post": _l("A facilitator edited your post in “%(thread)s”."),
    "approve_member": _l("A facilitator approved your account: “%(thread)s” is published."),
    "refuse_member": _l("A facilitator did not approve your account; “%(thread)s” is withdrawn."),
}


# A member approved or refused before writing anything: no thread to name.
_ACCOUNT = {
    "approve_member": _l("A facilitator approved your account: what you write is published."),
    "refuse_member": _l(
        "A facilitator did not approve your account. The reason is on the home page."
    ),
}


def library_endpoint(notification: Notification) -> str:
    """Where a notification without a thread leads: the requests to answer, the home page
    (where an account's approval or refusal shows), or one's profile."""
    if notification.action == "join_request":
        return "users.library_requests"
    if notification.action in _ACCOUNT:
        return "threads.home"
    return "users.settings"


def describe(notification: Notification) -> str:
    """One sentence: who did what, where (plain text; templates escape it)."""
    actor = notification.actor.display_name if notification.actor else _("A former member")
    kind = notification.kind
    if kind == "library":
        return str(_LIBRARY[notification.action]) % {"actor": actor}
    if notification.thread is None:
        return str(_ACCOUNT[notification.action])
    thread = notification.thread.title
    if kind == "reply":
        return _("%(actor)s replied in “%(thread)s”.", actor=actor, thread=thread)
    if kind == "new_thread":
        return _("%(actor)s opened “%(thread)s” with a tag you follow.", actor=actor, thread=thread)
    if kind == "mention":
        return _("%(actor)s mentioned you in “%(thread)s”.", actor=actor, thread=thread)
    if kind == "adoption":
        return _(
            "%(actor)s recorded that their library is trying “%(thread)s”.",
            actor=actor,
            thread=thread,
        )
    if kind == "accepted" and notification.action == "your_practice":
        return _("Your practice was chosen as the solution of “%(thread)s”.", thread=thread)
    if kind == "accepted" and notification.action == "practice":
        return _("“%(thread)s” is solved by a best practice.", thread=thread)
    if kind == "accepted":
        if notification.post is not None and notification.post.author_id == notification.user_id:
            return _("Your reply is the accepted answer in “%(thread)s”.", thread=thread)
        return _("An answer was accepted in “%(thread)s”.", thread=thread)
    if kind == "support":
        return str(_SUPPORT[notification.action]) % {"actor": actor, "thread": thread}
    text = _MODERATION.get(notification.action or "")
    if text is None:
        return _("A facilitator changed your post in “%(thread)s”.", thread=thread)
    return str(text) % {"thread": thread}
