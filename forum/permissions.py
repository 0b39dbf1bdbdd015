"""Who may see and do what. Views, services and templates all ask here.

Each ``why_not_*`` function returns the reason an action is refused (shown to
the member on a 403 page) or ``None`` when it is allowed; ``can_*`` wrap them for
templates. Services raise :class:`Refused` so every caller gets the same rule.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from .regions import Region

if TYPE_CHECKING:
    from .models import Post
    from .models import Thread
    from .models import User
    from .partners.models import Offer


class Refused(Exception):
    """An action a rule does not allow; rendered as 403 with the reason (or 404)."""

    def __init__(self, reason, status: int = 403):
        super().__init__(str(reason))
        self.reason = reason
        self.status = status


def _member(user) -> User | None:
    """The logged-in member, or ``None``: a deleted account counts as nobody."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return None if getattr(user, "is_deleted", False) else user


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


def _visible_clause(model, user):
    """Public rows; hidden ones too for facilitators, and for their own author."""
    if is_moderator(user):
        return sa.true()
    member = _member(user)
    return _visible_to(model, None if member is None else member.id)


@functools.lru_cache(maxsize=512)
def _visible_to(model, member_id: int | None):
    """The clause for a visitor (``None``) or a member who is not a facilitator, built once
    per process: a page asks for it several times, and SQL constructs are immutable."""
    public = model.is_public
    if member_id is None:
        return public
    return sa.or_(public, sa.and_(model.author_id == member_id, model.withdrawn_at.is_(None)))


def visible_threads_clause(user):
    """SQL condition for threads a user may find in lists (the SQL twin of can_see_thread)."""
    from .models import Thread

    return _visible_clause(Thread, user)


def visible_posts_clause(user):
    """SQL condition for posts a user may see, given that they may see the thread."""
    from .models import Post

    return _visible_clause(Post, user)


def why_not_use_token(user):
    """May this account's API tokens still work at all? Asked on every API request.

    A deleted account's tokens stop at once, and so do those of a member a
    facilitator did not approve (they may still read the pages, as a visitor can).
    """
    if user is None or getattr(user, "is_deleted", False):
        return _l("This account was deleted.")
    if user.is_refused:
        return _refusal(user)
    return None


def _refusal(member) -> str:
    # gettext, not lazy: the reason was typed by a facilitator and must stay escaped.
    reason = member.approval_reason or _l("no reason given")
    return gettext("A facilitator did not approve your account: %(reason)s", reason=reason)


def why_not_write_with_token(user, scope: str):
    """An API write needs a ``write`` token of a member who may post (not suspended)."""
    if scope != "write":
        return _l("This token may only read. Create a token that may write.")
    return why_not_post(user)


def why_not_post(user):
    member = _member(user)
    if member is None:
        return _l("Please log in first.")
    if member.is_suspended:
        reason = member.suspension_reason or _l("no reason given")
        return gettext("Your account is suspended: %(reason)s", reason=reason)
    if member.is_refused:
        return _refusal(member)
    return None


def why_not_reply(user, thread: Thread):
    refusal = why_not_post(user)
    if refusal:
        return refusal
    if thread.locked and not can_moderate_thread(user, thread):
        return _l("This thread is locked: no new replies.")
    if not thread.is_public:
        return _l("This thread is not open for replies.")
    return None


def can_quote(post: Post) -> bool:
    """Only what every member can see is quoted: never a hidden or withdrawn post, or one
    in a hidden or withdrawn thread, whoever asks (a facilitator too: a quote is public)."""
    return post.is_public and post.thread.is_public


def why_not_edit(user, post: Post):
    refusal = why_not_post(user)
    if refusal:
        return refusal
    if post.author_id != user.id:  # a facilitator edits others' posts in their region
        if not is_moderator(user):
            return _l("You can only edit your own posts.")
        return why_not_moderate_thread(user, post.thread)
    if post.thread.locked and not can_moderate_thread(user, post.thread):
        return _l("This thread is locked.")
    return None


def why_not_withdraw(user, post: Post):
    member = _member(user)
    if member is None:
        return _l("Please log in first.")
    if post.author_id != member.id:
        return _l("You can only withdraw your own posts.")
    return None


def why_not_redact(user, post: Post):
    """Redact earlier versions of a post: a facilitator, or the author of their own post.

    Privacy does not wait: an author may redact on a locked thread and while
    suspended; a suspended facilitator does not moderate.
    """
    member = _member(user)
    if member is None:
        return _l("Please log in first.")
    if post.author_id == member.id or why_not_moderate_thread(member, post.thread) is None:
        return None
    return _l("Only the author of a post or a facilitator can redact its earlier versions.")


def why_not_unredact(user, post: Post):
    """Showing a redacted version again is a decision for a facilitator of its region."""
    return why_not_moderate_thread(user, post.thread)


def can_read_redacted(user) -> bool:
    """Facilitators still read redacted versions; everyone else sees that they were redacted."""
    return is_moderator(user)


def can_redact(user, post: Post) -> bool:
    return why_not_redact(user, post) is None


def can_unredact(user, post: Post) -> bool:
    return why_not_unredact(user, post) is None


def can_reply(user, thread: Thread) -> bool:
    return why_not_reply(user, thread) is None


def can_edit(user, post: Post) -> bool:
    return why_not_edit(user, post) is None


def can_withdraw(user, post: Post) -> bool:
    return why_not_withdraw(user, post) is None and post.withdrawn_at is None


def why_not_moderate(user):
    """Facilitators and admins moderate, unless they are suspended themselves."""
    member = _member(user)
    if member is None:
        return _l("Please log in first.")
    if not member.is_facilitator:
        return _l("Only facilitators can do this.")
    return why_not_post(member)


# --- a facilitator's region ----------------------------------------------------------
#
# The one scope rule: a thread belongs to the region it was posted from, a member
# to their library's kabupaten/kota; a facilitator acts only on what lies in one
# of their regions (forum.models.FacilitatorScope), an admin everywhere. What has
# no region is for facilitators of all of Indonesia (``nasional``).


def scope_of(user) -> tuple[Region, ...]:
    """The regions a facilitator looks after (all of Indonesia for an admin; none for others)."""
    member = _member(user)
    if member is None or not member.is_facilitator:
        return ()
    if member.role == "admin":
        return (Region(),)
    return tuple(Region.parse(scope.region) for scope in member.scopes)


def covers(user, regency: str | None, province: str | None) -> bool:
    """Whether a place (a kabupaten/kota slug and its province's) is in the user's scope."""
    return any(region.covers(regency, province) for region in scope_of(user))


def covers_region(user, region: Region) -> bool:
    """Whether a whole region (a dashboard's filter, a scope) lies within the user's scope."""
    if region.kind is None:
        return any(mine.kind is None for mine in scope_of(user))
    if region.kind == "province":
        return any(mine.kind is None or mine == region for mine in scope_of(user))
    regency = region_place(region)
    return covers(user, *regency)


def region_place(region: Region) -> tuple[str | None, str | None]:
    """A kabupaten/kota region as a place (its slug and its province's)."""
    from .regions import regions

    regency = regions().regencies.get(region.slug or "")
    return (region.slug, regency.province.slug if regency else None)


def scope_clause(user, regency_column, province_column):
    """The SQL twin of :func:`covers`: rows whose place is in the user's scope."""
    mine = scope_of(user)
    if not mine:
        return sa.false()
    return sa.or_(*(region.clause(regency_column, province_column) for region in mine))


def member_place(member: User) -> tuple[str | None, str | None]:
    """A member's place: their library's kabupaten/kota and province (none without one);
    while a request to join one waits, that library's (its facilitators look after them)."""
    library = member.library or member.requested_library
    return (library.regency, library.province) if library is not None else (None, None)


def why_not_moderate_in(user, regency: str | None, province: str | None):
    """Moderate something placed in a kabupaten/kota (``None``: no region, national only)."""
    refusal = why_not_moderate(user)
    if refusal:
        return refusal
    if not covers(user, regency, province):
        if regency is None and province is None:
            return _l("This has no region, so only facilitators for all of Indonesia can do this.")
        return _l("This is outside the region you look after; ask a facilitator there.")
    return None


def why_not_moderate_thread(user, thread: Thread):
    """Moderate a thread or one of its posts: the thread's region must be in the user's scope."""
    return why_not_moderate_in(user, thread.regency, thread.province)


def why_not_moderate_member(user, member: User):
    """Moderate a member: their library's kabupaten/kota must be in the user's scope."""
    return why_not_moderate_in(user, *member_place(member))


def why_not_see_figures(user, region: Region):
    """The dashboard, its report and exports for a region: within the user's scope."""
    refusal = why_not_moderate(user)
    if refusal is None and not covers_region(user, region):
        refusal = _l("These figures are outside the region you look after.")
    return refusal


def default_region(user) -> Region:
    """The dashboard's region when none is chosen: all of Indonesia, or the user's first."""
    mine = scope_of(user)
    return Region() if not mine or covers_region(user, Region()) else mine[0]


def why_not_record_meeting(user, regency: str):
    """Record a meeting held in a kabupaten/kota (a slug): it must be in the user's scope."""
    return why_not_moderate_in(user, *region_place(Region("regency", regency)))


def may_record_in(user, regency: str) -> bool:
    return why_not_record_meeting(user, regency) is None


def why_not_edit_meeting(user, meeting):
    """Change a meeting or link threads to it: a facilitator of the meeting's kabupaten/kota."""
    return why_not_moderate_in(user, meeting.regency, meeting.province)


def can_edit_meeting(user, meeting) -> bool:
    return why_not_edit_meeting(user, meeting) is None


def can_moderate_thread(user, thread: Thread) -> bool:
    return why_not_moderate_thread(user, thread) is None


def why_not_solve(user, thread: Thread):
    """The challenge's author or a facilitator chooses (or clears) the accepted answer."""
    refusal = why_not_post(user)
    if refusal:
        return refusal
    if thread.kind != "challenge":
        return _l("Only a challenge can be marked solved.")
    if user.id != thread.author_id and not can_moderate_thread(user, thread):
        return _l("Only the author of the challenge or a facilitator can choose the answer.")
    return None


def why_not_adopt(user, practice: Thread):
    """A confirmed member of a library records that their library tries another's practice."""
    refusal = why_not_post(user)
    if refusal:
        return refusal
    if user.library_id is None:
        return _l(
            "Only members of a library can record that it tries a practice. "
            "Add your library in your profile first."
        )
    if user.email_confirmed_at is None:
        return _l("Confirm your e-mail address first (see your profile settings).")
    if practice.kind != "practice" or not practice.is_public:
        return _l("Only a public best practice can be tried.")
    if practice.library_id == user.library_id:
        return _l("This practice comes from your own library.")
    return None


def why_not_link_practice(user, challenge: Thread):
    """Any member may point a public challenge to a practice that addresses it."""
    refusal = why_not_post(user)
    if refusal:
        return refusal
    if challenge.kind != "challenge" or not challenge.is_public:
        return _l("Practices can be linked to a public challenge only.")
    return None


def why_not_verify(user, thread: Thread):
    """Facilitators of its region mark a practice "Terverifikasi" (and take the mark away)."""
    return why_not_moderate_thread(user, thread)


def why_not_compile(user):
    """Facilitators make the book of good practices ("Kumpulan Praktik Baik")."""
    return why_not_moderate(user)


def why_not_flag(user, post: Post):
    refusal = why_not_post(user)
    if refusal:
        return refusal
    if post.author_id == user.id:
        return _l("You cannot flag your own post; edit or withdraw it instead.")
    if not (post.is_public and post.thread.is_public):
        return _l("This is not public, so there is nothing to flag.")
    return None


def why_not_mark_helpful(user, post: Post):
    """Members mark other members' public posts helpful (a thread through its opening post)."""
    refusal = why_not_post(user)
    if refusal:
        return refusal
    if post.author_id == user.id:
        return _l("You cannot mark your own post as helpful.")
    if not (post.is_public and post.thread.is_public):
        return _l("Only public posts can be marked helpful.")
    return None


def can_see_notification(user, notification) -> bool:
    """A notification is its recipient's alone (others get 404, as if it did not exist)."""
    member = _member(user)
    return member is not None and notification.user_id == member.id


def why_not_manage_member(user, member: User):
    """Suspend, unsuspend or reset the password of a member.

    Facilitators look after librarians; admins after everyone but themselves
    (an admin's own account is changed on the command line).
    """
    refusal = why_not_moderate(user)
    if refusal:
        return refusal
    if user.id == member.id:
        return _l("You cannot do this to your own account.")
    if member.is_deleted:  # deleting an account is for good: no link, no way back in
        return _l("This account was deleted.")
    if user.role != "admin" and member.role != "librarian":
        return _l("Facilitators can do this for librarians only; ask an administrator.")
    return why_not_moderate_member(user, member)


def why_not_set_role(user, member: User):
    """Only admins promote librarians to facilitators and back."""
    refusal = why_not_moderate(user)
    if refusal:
        return refusal
    if user.role != "admin":
        return _l("Only administrators can change roles.")
    if user.id == member.id:
        return _l("You cannot change your own role.")
    if member.role == "admin":
        return _l("An administrator's role is changed on the command line.")
    return None


def why_not_decide_approval(user, member: User):
    """Approve or refuse a waiting member: a facilitator whose scope covers their kabupaten."""
    refusal = why_not_moderate_member(user, member)
    if refusal is None and not member.is_waiting:
        refusal = _l("This member is not waiting for approval.")
    return refusal


def why_not_decide_join(user, request):
    """Confirm or decline a request to join a library: a member of that library (who may
    post), or a facilitator whose scope covers it; never the one asking."""
    member = _member(user)
    if member is None:
        return _l("Please log in first.")
    if request.status != "waiting":
        return _l("This request was already answered.")
    if member.id == request.user_id:
        return _l("Another member of the library confirms your request.")
    confirmed_member = member.library_id == request.library_id and not member.is_waiting
    if confirmed_member and why_not_post(member) is None:
        return None
    library = request.library
    if member.is_facilitator:
        return why_not_moderate_in(member, library.regency, library.province)
    return _l("Only members of this library, or a facilitator of its region, can answer.")


def why_not_set_scope(user, member: User):
    """Only admins give facilitators their regions (admins look after all of them)."""
    refusal = why_not_moderate(user)
    if refusal is None and user.role != "admin":
        refusal = _l("Only administrators can change a facilitator's regions.")
    if refusal is None and member.role != "facilitator":
        refusal = _l("Only facilitators have regions; make them a facilitator first.")
    return refusal


def can_set_scope(user, member: User) -> bool:
    return why_not_set_scope(user, member) is None


def can_mark_helpful(user, post: Post) -> bool:
    return why_not_mark_helpful(user, post) is None


def can_verify(user, thread: Thread) -> bool:
    return thread.kind == "practice" and why_not_verify(user, thread) is None


def can_moderate(user) -> bool:
    return why_not_moderate(user) is None


def can_solve(user, thread: Thread) -> bool:
    return why_not_solve(user, thread) is None


def can_adopt(user, practice: Thread) -> bool:
    return why_not_adopt(user, practice) is None


def can_link_practice(user, challenge: Thread) -> bool:
    return why_not_link_practice(user, challenge) is None


def can_flag(user, post: Post) -> bool:
    return why_not_flag(user, post) is None


def can_manage_member(user, member: User) -> bool:
    return why_not_manage_member(user, member) is None


def can_set_role(user, member: User) -> bool:
    return why_not_set_role(user, member) is None


# --- partners: offers of support on challenges (forum/partners) --------------------------


def is_partner(user) -> bool:
    """A member who speaks for a partner organisation (never a facilitator: no moderation)."""
    member = _member(user)
    return member is not None and member.role == "partner" and member.partner_id is not None


def why_not_offer(user, thread: Thread):
    """Only a partner organisation's members offer support, on a public, open challenge."""
    refusal = why_not_post(user)
    if refusal:
        return refusal
    if not is_partner(user):
        return _l("Only members of a partner organisation can offer support.")
    if thread.kind != "challenge":
        return _l("Support is offered on challenges only.")
    if not thread.is_public or thread.locked:
        return _l("This challenge is not open for offers.")
    return None


def why_not_answer_offer(user, offer: Offer):
    """Accept or decline an offer: the challenge's author or a facilitator whose region it is."""
    refusal = why_not_post(user)
    if refusal:
        return refusal
    if user.id == offer.thread.author_id or why_not_moderate_thread(user, offer.thread) is None:
        return None
    return _l(
        "Only the author of the challenge or a facilitator of its region can accept or decline "
        "an offer."
    )


def why_not_mark_delivered(user, offer: Offer):
    """Either side marks an accepted offer delivered: the partner, or who may answer it."""
    refusal = why_not_post(user)
    if refusal:
        return refusal
    if is_partner(user) and user.partner_id == offer.partner_id:
        return None
    if why_not_answer_offer(user, offer) is None:
        return None
    return _l("Only the partner or the author of the challenge can mark support delivered.")


def why_not_edit_needs(user, thread: Thread):
    """What a challenge asks for is edited like its opening post: its author or a facilitator."""
    if thread.kind != "challenge":
        return _l("Only a challenge can ask for support.")
    return why_not_edit(user, thread.opening_post)


def why_not_manage_partners(user):
    """Partner organisations are created and linked by administrators."""
    refusal = why_not_moderate(user)
    if refusal:
        return refusal
    if user.role != "admin":
        return _l("Only administrators can do this.")
    return None


def can_offer(user, thread: Thread) -> bool:
    return why_not_offer(user, thread) is None


def can_answer_offer(user, offer: Offer) -> bool:
    return why_not_answer_offer(user, offer) is None


def can_mark_delivered(user, offer: Offer) -> bool:
    return why_not_mark_delivered(user, offer) is None


def check(reason) -> None:
    """Raise :class:`Refused` when a ``why_not_*`` answer is a reason."""
    if reason is not None:
        raise Refused(reason)


TEMPLATE_HELPERS = {
    "can_reply": can_reply,
    "can_quote": can_quote,
    "can_edit": can_edit,
    "can_withdraw": can_withdraw,
    "is_moderator": is_moderator,
    "can_see_post": can_see_post,
    "can_moderate": can_moderate,
    "can_verify": can_verify,
    "can_solve": can_solve,
    "can_flag": can_flag,
    "can_adopt": can_adopt,
    "why_not_adopt": why_not_adopt,
    "can_link_practice": can_link_practice,
    "can_manage_member": can_manage_member,
    "can_set_role": can_set_role,
    "can_set_scope": can_set_scope,
    "can_moderate_thread": can_moderate_thread,
    "can_edit_meeting": can_edit_meeting,
    "can_mark_helpful": can_mark_helpful,
    "can_redact": can_redact,
    "can_unredact": can_unredact,
    "can_read_redacted": can_read_redacted,
    "is_partner": is_partner,
    "can_offer": can_offer,
    "can_answer_offer": can_answer_offer,
    "can_mark_delivered": can_mark_delivered,
}
