"""The engagement rules, written once: helpful marks, follows, bookmarks, mentions, notifications.

The thread and moderation services call the hooks at the bottom
(:func:`thread_created`, :func:`reply_created`, :func:`post_edited`,
:func:`answer_accepted`, :func:`moderated`) inside their own transaction, so a
notification exists exactly when the change that caused it does. Callers commit.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from .. import events
from ..extensions import db
from ..markup import find_mentions
from ..models import Post
from ..models import Tag
from ..models import Thread
from ..models import User
from ..models import thread_tags
from ..models import utcnow
from ..permissions import Refused
from ..permissions import can_see_notification
from ..permissions import check
from ..permissions import visible_posts_clause
from ..permissions import visible_threads_clause
from ..permissions import why_not_mark_helpful
from ..tags import get_tags
from .models import NOTIFICATION_KINDS
from .models import PUBLIC_POST_KINDS
from .models import Bookmark
from .models import HelpfulMark
from .models import Mention
from .models import Notification
from .models import NotificationSetting
from .models import TagFollow
from .models import ThreadFollow
from .models import ThreadRead

# Moderator actions the post's author hears about (pinning is left out: it
# changes nothing the author wrote or can do).
MODERATION_NOTICES = frozenset(
    {
        "hide_thread",
        "restore_thread",
        "hide_post",
        "restore_post",
        "move",
        "lock",
        "unlock",
        "edit_post",
        "approve_member",  # forum/moderation/approval.py
        "refuse_member",
    }
)
MAX_MENTIONS_PER_POST = 20  # more names than this in one post is a mass mailing, not a mention
DEFAULT_SETTING = (True, False)  # (in the app, in the e-mail digest)
# Following a tag no thread uses creates it; a few such "waiting" tags are
# normal (a topic one hopes for), hundreds are one member filling the tag table.
MAX_UNUSED_TAG_FOLLOWS = 10


def _member_id(user) -> int | None:
    return user.id if user is not None and getattr(user, "is_authenticated", False) else None


# --- helpful ---------------------------------------------------------------------------


def toggle_helpful(user: User, post: Post) -> bool:
    """Mark a post helpful, or take the mark back; returns whether it is marked now.

    The post's (and for an opening post, the thread's) ``helpful_count`` changes
    in the same transaction, with an SQL increment so concurrent marks add up.
    """
    check(why_not_mark_helpful(user, post))
    removed = db.session.execute(
        sa.delete(HelpfulMark).where(HelpfulMark.user_id == user.id, HelpfulMark.post_id == post.id)
    ).rowcount
    if removed:
        delta = -1
    else:
        try:
            with db.session.begin_nested():
                db.session.add(HelpfulMark(user_id=user.id, post_id=post.id))
        except IntegrityError:
            return True  # a second click that raced the first: already marked
        delta = 1
    db.session.execute(
        sa.update(Post)
        .where(Post.id == post.id)
        .values(helpful_count=Post.helpful_count + delta)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(post, ["helpful_count"])
    if post.is_opening:
        db.session.execute(
            sa.update(Thread)
            .where(Thread.id == post.thread_id)
            .values(helpful_count=Thread.helpful_count + delta)
            .execution_options(synchronize_session=False)
        )
        db.session.expire(post.thread, ["helpful_count"])
    return delta > 0


def set_helpful(user: User, post: Post, marked: bool) -> bool:
    """Mark (``marked``) or unmark a post helpful, whatever it was: safe to send twice.

    Returns whether anything changed; the rule is :func:`toggle_helpful`'s.
    """
    check(why_not_mark_helpful(user, post))
    mark = sa.select(HelpfulMark.post_id).where(
        HelpfulMark.user_id == user.id, HelpfulMark.post_id == post.id
    )
    return _set_mark(mark, marked, lambda: toggle_helpful(user, post))


def _set_mark(row_query, marked: bool, toggle) -> bool:
    """Toggle only when the mark (``row_query`` finds it) is not already as asked."""
    if (db.session.scalar(row_query) is not None) == marked:
        return False
    toggle()
    return True


def helpful_received(user: User, viewer) -> int:
    """Helpful marks on the member's posts that the viewer may see."""
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Post.helpful_count), 0))
        .join(Post.thread)
        .where(Post.author_id == user.id)
        .where(visible_posts_clause(viewer), visible_threads_clause(viewer))
    )


# --- follows ---------------------------------------------------------------------------


def follow_thread(user: User, thread: Thread) -> bool:
    """Hear about the thread's replies; False when the member already did."""
    row = db.session.get(ThreadFollow, (user.id, thread.id))
    if row is None:
        db.session.add(ThreadFollow(user_id=user.id, thread_id=thread.id))
        return True
    if row.active:
        return False
    row.active = True
    return True


def unfollow_thread(user: User, thread: Thread) -> bool:
    """Stop hearing about the thread; the choice is kept, so replying later does not undo it."""
    row = db.session.get(ThreadFollow, (user.id, thread.id))
    if row is None:
        db.session.add(ThreadFollow(user_id=user.id, thread_id=thread.id, active=False))
        return False
    if not row.active:
        return False
    row.active = False
    return True


def _follow_automatically(user: User, thread: Thread) -> None:
    """Authors and repliers follow, unless they once chose to unfollow this thread."""
    if db.session.get(ThreadFollow, (user.id, thread.id)) is None:
        db.session.add(ThreadFollow(user_id=user.id, thread_id=thread.id))


def _unused_tag_clause():
    return ~sa.exists().where(thread_tags.c.tag_id == Tag.id)


def follow_tag(user: User, name: str) -> Tag:
    """Hear about new threads with this (normalized) tag; a tag no thread uses yet is created.

    :raise Refused: when the member already follows :data:`MAX_UNUSED_TAG_FOLLOWS`
        tags that no thread uses, and this one is unused too.
    """
    used = db.session.scalar(
        sa.select(sa.literal(True)).select_from(Tag).join(thread_tags).where(Tag.name == name)
    )
    if not used:
        waiting = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(TagFollow)
            .join(Tag)
            .where(TagFollow.user_id == user.id, Tag.name != name, _unused_tag_clause())
        )
        if waiting >= MAX_UNUSED_TAG_FOLLOWS:
            raise Refused(
                _l(
                    "You already follow %(num)d tags that no thread uses yet. Unfollow one in "
                    "your notification settings, or follow a tag that threads use.",
                    num=MAX_UNUSED_TAG_FOLLOWS,
                )
            )
    tag = get_tags([name])[0]
    db.session.flush()
    if db.session.get(TagFollow, (user.id, tag.id)) is None:
        db.session.add(TagFollow(user_id=user.id, tag_id=tag.id))
    return tag


def unfollow_tag(user: User, name: str) -> bool:
    tag_id = sa.select(Tag.id).where(Tag.name == name).scalar_subquery()
    result = db.session.execute(
        sa.delete(TagFollow).where(TagFollow.user_id == user.id, TagFollow.tag_id == tag_id)
    )
    return result.rowcount > 0


def followed_tags(user: User) -> list[Tag]:
    return list(
        db.session.scalars(
            sa.select(Tag).join(TagFollow).where(TagFollow.user_id == user.id).order_by(Tag.name)
        )
    )


def follows_tag(user, name: str) -> bool:
    member_id = _member_id(user)
    if member_id is None:
        return False
    query = (
        sa.select(TagFollow.tag_id)
        .join(Tag)
        .where(TagFollow.user_id == member_id, Tag.name == name)
    )
    return db.session.scalar(query) is not None


# --- bookmarks -------------------------------------------------------------------------


def toggle_bookmark(user: User, thread: Thread) -> bool:
    """Bookmark the thread, or remove the bookmark; returns whether it is bookmarked now."""
    removed = db.session.execute(
        sa.delete(Bookmark).where(Bookmark.user_id == user.id, Bookmark.thread_id == thread.id)
    ).rowcount
    if removed:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(Bookmark(user_id=user.id, thread_id=thread.id))
    except IntegrityError:
        pass  # a double click: the first one bookmarked it
    return True


def set_bookmark(user: User, thread: Thread, marked: bool) -> bool:
    """Bookmark (``marked``) or remove the bookmark, whatever it was; True when it changed."""
    mark = sa.select(Bookmark.thread_id).where(
        Bookmark.user_id == user.id, Bookmark.thread_id == thread.id
    )
    return _set_mark(mark, marked, lambda: toggle_bookmark(user, thread))


def engagement_state(user: User, thread: Thread) -> dict[str, bool]:
    """Whether the member marked the thread helpful, follows it and bookmarked it."""
    opening_id = sa.select(Post.id).where(Post.thread_id == thread.id, Post.is_opening)
    helpful = sa.exists().where(
        HelpfulMark.user_id == user.id, HelpfulMark.post_id.in_(opening_id.scalar_subquery())
    )
    following = sa.exists().where(
        ThreadFollow.user_id == user.id,
        ThreadFollow.thread_id == thread.id,
        ThreadFollow.active.is_(True),
    )
    bookmarked = sa.exists().where(Bookmark.user_id == user.id, Bookmark.thread_id == thread.id)
    row = db.session.execute(sa.select(helpful, following, bookmarked)).one()
    return {"helpful": bool(row[0]), "follow": bool(row[1]), "bookmark": bool(row[2])}


def bookmarks_page(user: User, page: int, per_page: int):
    """The member's bookmarked threads they may still see, the latest bookmark first."""
    query = (
        sa.select(Thread)
        .join(Bookmark, Bookmark.thread_id == Thread.id)
        .where(Bookmark.user_id == user.id, visible_threads_clause(user))
        .options(so.joinedload(Thread.author), so.joinedload(Thread.library))
        .order_by(Bookmark.created_at.desc(), Thread.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


# --- the thread page -------------------------------------------------------------------


@dataclass
class ThreadEngagement:
    """What the thread page needs to know about the viewer and its posts, in a few queries."""

    marked: set[int] = field(default_factory=set)  # posts the viewer marked helpful
    following: bool = False
    bookmarked: bool = False
    # The newest post id the viewer was shown before this page (forum/engagement/reads.py),
    # None if never opened: asked in the same statement as the follow and the bookmark.
    read_position: int | None = None


def thread_engagement(viewer, thread: Thread, posts: Iterable[Post | None]) -> ThreadEngagement:
    """Marks, follow, bookmark and read position for the shown posts: two queries for
    members, none for visitors, whatever the number of posts. (Mentions are links in the
    stored HTML.)
    """
    posts = [post for post in posts if post is not None]
    state = ThreadEngagement()
    member_id = _member_id(viewer)
    if member_id is None:
        return state
    if posts:
        state.marked = set(
            db.session.scalars(
                sa.select(HelpfulMark.post_id).where(
                    HelpfulMark.user_id == member_id,
                    HelpfulMark.post_id.in_([post.id for post in posts]),
                )
            )
        )
    following = (
        sa.select(ThreadFollow.active)
        .where(ThreadFollow.user_id == member_id, ThreadFollow.thread_id == thread.id)
        .scalar_subquery()
    )
    bookmarked = sa.exists().where(Bookmark.user_id == member_id, Bookmark.thread_id == thread.id)
    position = (
        sa.select(ThreadRead.last_read_post_id)
        .where(ThreadRead.user_id == member_id, ThreadRead.thread_id == thread.id)
        .scalar_subquery()
    )
    row = db.session.execute(sa.select(following, bookmarked, position)).one()
    state.following, state.bookmarked, state.read_position = bool(row[0]), bool(row[1]), row[2]
    return state


# --- mentions --------------------------------------------------------------------------


def _sync_mentions(post: Post) -> set[int]:
    """Resolve the post's ``@names`` to members; returns the ids mentioned for the first time."""
    names = find_mentions(post.body)[:MAX_MENTIONS_PER_POST]
    wanted = (
        set(db.session.scalars(sa.select(User.id).where(User.username.in_(names))))
        if names
        else set()
    )
    existing = (
        set(db.session.scalars(sa.select(Mention.user_id).where(Mention.post_id == post.id)))
        if post.id is not None
        else set()
    )
    gone = existing - wanted
    if gone:
        db.session.execute(
            sa.delete(Mention).where(Mention.post_id == post.id, Mention.user_id.in_(gone))
        )
    for user_id in wanted - existing:
        db.session.add(Mention(post_id=post.id, user_id=user_id))
    return wanted - existing


def mentioned_already(post: Post, user_ids: set[int]) -> set[int]:
    """Members who already had a mention notification for this post (an edit must not repeat it)."""
    if not user_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(Notification.user_id).where(
                Notification.post_id == post.id,
                Notification.kind == "mention",
                Notification.user_id.in_(user_ids),
            )
        )
    )


# --- notifications ---------------------------------------------------------------------


def settings_for(user: User) -> dict[str, tuple[bool, bool]]:
    """The member's (in app, by e-mail) choice for every kind, defaults filled in."""
    rows = db.session.scalars(
        sa.select(NotificationSetting).where(NotificationSetting.user_id == user.id)
    )
    chosen = {row.kind: (row.in_app, row.email) for row in rows}
    return {kind: chosen.get(kind, DEFAULT_SETTING) for kind in NOTIFICATION_KINDS}


def save_settings(user: User, choices: dict[str, tuple[bool, bool]]) -> None:
    """Store the member's choices for the kinds given."""
    rows = {
        row.kind: row
        for row in db.session.scalars(
            sa.select(NotificationSetting).where(NotificationSetting.user_id == user.id)
        )
    }
    for kind, (in_app, email) in choices.items():
        if kind not in NOTIFICATION_KINDS:
            raise ValueError(f"unknown notification kind {kind!r}")
        row = rows.get(kind)
        if row is None:
            row = NotificationSetting(user_id=user.id, kind=kind)
            db.session.add(row)
        row.in_app, row.email = bool(in_app), bool(email)


def _notify(
    candidates: dict[int, set[str]],
    *,
    actor_id: int | None,
    thread: Thread | None,
    post: Post | None = None,
    action: str | None = None,
) -> list[Notification]:
    """One notification per member for one event, of the first kind (by priority) they want.

    ``candidates`` maps member ids to the kinds the event concerns them by. The
    actor never hears about their own doing.
    """
    candidates = {uid: kinds for uid, kinds in candidates.items() if uid != actor_id and kinds}
    if not candidates:
        return []
    chosen = {
        (row.user_id, row.kind): (row.in_app, row.email)
        for row in db.session.scalars(
            sa.select(NotificationSetting).where(NotificationSetting.user_id.in_(candidates))
        )
    }
    made = []
    for user_id, kinds in sorted(candidates.items()):
        for kind in NOTIFICATION_KINDS:
            if kind not in kinds:
                continue
            in_app, email = chosen.get((user_id, kind), DEFAULT_SETTING)
            if in_app or email:
                notification = Notification(
                    user_id=user_id,
                    kind=kind,
                    actor_id=actor_id,
                    thread_id=thread.id if thread is not None else None,
                    post_id=post.id if post is not None else None,
                    action=action,
                    in_app=in_app,
                    email=email,
                )
                db.session.add(notification)
                made.append(notification)
                break
    return made


def _candidates(*groups: tuple[Iterable[int], str]) -> dict[int, set[str]]:
    result: dict[int, set[str]] = {}
    for user_ids, kind in groups:
        for user_id in user_ids:
            result.setdefault(user_id, set()).add(kind)
    return result


def _thread_followers(thread: Thread) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(ThreadFollow.user_id).where(
                ThreadFollow.thread_id == thread.id, ThreadFollow.active.is_(True)
            )
        )
    )


@functools.cache  # the same for every member and page: built once
def _shown_clause():
    """Notifications still worth showing: those about a post hidden or withdrawn since are not.

    Needs ``threads`` joined and ``posts`` outer-joined (see :func:`_shown`).
    """
    thread_public = Thread.is_public
    post_public = sa.or_(Notification.post_id.is_(None), Post.is_public)
    return sa.or_(Notification.kind.not_in(PUBLIC_POST_KINDS), sa.and_(thread_public, post_public))


def _shown(query):
    return (
        query.outerjoin(Thread, Thread.id == Notification.thread_id)
        .outerjoin(Post, Post.id == Notification.post_id)
        .where(_shown_clause())
    )


def unread_count(user) -> int:
    """Unread in-app notifications (one query: it runs on every page for the bell)."""
    member_id = _member_id(user)
    if member_id is None:
        return 0
    query = _shown(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.user_id == member_id,
            Notification.in_app.is_(True),
            Notification.read_at.is_(None),
        )
    )
    return db.session.scalar(query)


def notifications_page(user: User, page: int, per_page: int):
    """The member's in-app notifications, newest first, with what they point at loaded."""
    query = _shown(
        sa.select(Notification).where(
            Notification.user_id == user.id, Notification.in_app.is_(True)
        )
    )
    query = query.options(
        so.contains_eager(Notification.thread),
        so.contains_eager(Notification.post),
        so.joinedload(Notification.actor),
    ).order_by(Notification.created_at.desc(), Notification.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def load_notification(notification_id: int, user) -> Notification:
    """The member's own notification, or :class:`Refused` as 404 for anyone else's."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or not can_see_notification(user, notification):
        raise Refused("not found", status=404)
    return notification


def mark_read(user: User, notification: Notification) -> bool:
    if not can_see_notification(user, notification):
        raise Refused("not found", status=404)
    if notification.read_at is not None:
        return False
    notification.read_at = utcnow()
    return True


def mark_all_read(user: User) -> int:
    """Mark every unread notification in the member's list read; returns how many."""
    result = db.session.execute(
        sa.update(Notification)
        .where(
            Notification.user_id == user.id,
            Notification.in_app.is_(True),  # e-mail-only ones wait for their digest
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


# --- hooks for the thread and moderation services --------------------------------------


def _public(post: Post) -> bool:
    return post.is_public and post.thread.is_public


def thread_created(thread: Thread, opening: Post) -> list[Notification]:
    """The author follows the thread; followers of its tags and mentioned members hear of it."""
    _follow_automatically(thread.author, thread)
    mentioned = _sync_mentions(opening)
    if not _public(opening):
        return []
    tag_ids = [tag.id for tag in thread.tags]
    tag_followers = (
        db.session.scalars(sa.select(TagFollow.user_id).where(TagFollow.tag_id.in_(tag_ids)))
        if tag_ids
        else []
    )
    candidates = _candidates((tag_followers, "new_thread"), (mentioned, "mention"))
    return _notify(candidates, actor_id=thread.author_id, thread=thread, post=opening)


def reply_created(post: Post) -> list[Notification]:
    """Followers of the thread and mentioned members hear of the reply; the replier follows."""
    thread = post.thread
    mentioned = _sync_mentions(post)
    followers = _thread_followers(thread)
    _follow_automatically(post.author, thread)
    if not _public(post):
        return []
    candidates = _candidates((followers, "reply"), (mentioned, "mention"))
    return _notify(candidates, actor_id=post.author_id, thread=thread, post=post)


def post_edited(editor: User, post: Post) -> list[Notification]:
    """Members newly mentioned by an edit hear of it (once per post, never again)."""
    mentioned = _sync_mentions(post)
    if not mentioned or not _public(post):
        return []
    mentioned -= mentioned_already(post, mentioned)
    candidates = _candidates((mentioned, "mention"))
    return _notify(candidates, actor_id=editor.id, thread=post.thread, post=post)


def answer_accepted(
    actor: User, thread: Thread, post: Post | None, practice: Thread | None = None
) -> list[Notification]:
    """The answer's author and the thread's followers hear that the challenge is solved.

    Solved by a linked practice: the practice's author hears that it solved the
    challenge, the challenge's followers that it is solved.
    """
    if practice is not None:
        return _solved_by_practice(actor, thread, practice)
    if post is None or not _public(post):
        return []
    candidates = _candidates(
        ([post.author_id], "accepted"), (_thread_followers(thread), "accepted")
    )
    return _notify(candidates, actor_id=actor.id, thread=thread, post=post)


def _solved_by_practice(actor: User, thread: Thread, practice: Thread) -> list[Notification]:
    if not (thread.is_public and practice.is_public):
        return []
    author = _candidates(([practice.author_id], "accepted"))
    followers = _candidates(
        ([uid for uid in _thread_followers(thread) if uid != practice.author_id], "accepted")
    )
    return [
        *_notify(author, actor_id=actor.id, thread=thread, action="your_practice"),
        *_notify(followers, actor_id=actor.id, thread=thread, action="practice"),
    ]


def adoption_recorded(adoption, *, practice: Thread, post: Post) -> list[Notification]:
    """A library tries a practice: its author and its followers hear; the member follows it."""
    followers = _thread_followers(practice)
    _follow_automatically(post.author, practice)
    if not _public(post):
        return []
    candidates = _candidates(([practice.author_id], "adoption"), (followers, "adoption"))
    return _notify(candidates, actor_id=post.author_id, thread=practice, post=post)


def moderated(
    actor: User,
    action: str,
    *,
    thread: Thread | None = None,
    post: Post | None = None,
    member: User | None = None,
) -> list[Notification]:
    """The author hears when a facilitator hides, restores, moves, locks or edits their post;
    a new member, when a facilitator approves or refuses their account."""
    if action not in MODERATION_NOTICES:
        return []
    if post is not None:
        thread = post.thread
        author_id = post.author_id
    elif thread is not None:
        author_id = thread.author_id
    elif member is not None:
        author_id = member.id
    else:
        return []
    candidates = _candidates(([author_id], "moderation"))
    return _notify(candidates, actor_id=actor.id, thread=thread, post=post, action=action)


def library_join_requested(request) -> list[Notification]:
    """Someone asks to join a library: its members hear, and answer on the requests page."""
    members = db.session.scalars(
        sa.select(User.id).where(User.library_id == request.library_id, User.deleted_at.is_(None))
    )
    candidates = _candidates((members, "library"))
    return _notify(candidates, actor_id=request.user_id, thread=None, action="join_request")


def library_join_decided(actor: User, *, request) -> list[Notification]:
    """The member who asked hears whether they now belong to the library."""
    candidates = _candidates(([request.user_id], "library"))
    return _notify(candidates, actor_id=actor.id, thread=None, action=f"join_{request.status}")


def offer_made(offer) -> list[Notification]:
    """The challenge's author hears that a partner offers support."""
    thread = offer.thread
    candidates = _candidates(([thread.author_id], "support"))
    return _notify(candidates, actor_id=offer.offered_by_id, thread=thread, action="offer_made")


def offer_answered(actor: User, offer) -> list[Notification]:
    """The partner who offered hears that the offer was accepted or declined."""
    candidates = _candidates(([offer.offered_by_id], "support"))
    action = "offer_accepted" if offer.status == "accepted" else "offer_declined"
    return _notify(candidates, actor_id=actor.id, thread=offer.thread, action=action)


def offer_delivered(actor: User, offer) -> list[Notification]:
    """The other side hears that the support was marked delivered."""
    thread = offer.thread
    candidates = _candidates(([offer.offered_by_id, thread.author_id], "support"))
    return _notify(candidates, actor_id=actor.id, thread=thread, action="offer_delivered")


def subscribe() -> None:
    """Listen to what the thread and moderation services announce (once per process)."""
    events.thread_created.connect(thread_created, weak=False)
    events.reply_created.connect(reply_created, weak=False)
    events.post_edited.connect(post_edited, weak=False)
    events.answer_accepted.connect(answer_accepted, weak=False)
    events.adoption_recorded.connect(adoption_recorded, weak=False)
    events.offer_made.connect(offer_made, weak=False)
    events.offer_answered.connect(offer_answered, weak=False)
    events.offer_delivered.connect(offer_delivered, weak=False)
    events.post_moderated.connect(moderated, weak=False)
    events.library_join_requested.connect(library_join_requested, weak=False)
    events.library_join_decided.connect(library_join_decided, weak=False)


MENTION_SUGGESTIONS = 8  # names offered while typing "@": a phone screen's worth


def suggest_members(text: str, *, limit: int = MENTION_SUGGESTIONS) -> list[dict[str, str]]:
    """Members whose username, or any word of whose display name, starts with ``text``.

    For the ``@`` suggestions: usernames and display names only (never an
    e-mail address), usernames that match first, at most ``limit``.
    """
    text = text.strip().lstrip("@").lower()[:30]
    if not text:
        return []
    username = User.username.startswith(text, autoescape=True)
    name = sa.func.lower(User.stored_display_name)
    rows = db.session.execute(
        sa.select(User.username, User.stored_display_name)
        .where(User.deleted_at.is_(None))
        .where(
            sa.or_(
                username,
                name.startswith(text, autoescape=True),
                name.contains(f" {text}", autoescape=True),
            )
        )
        .order_by(sa.case((username, 0), else_=1), User.username)
        .limit(limit)
    )
    return [{"username": row.username, "display_name": row.stored_display_name} for row in rows]
