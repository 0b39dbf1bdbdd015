"""The rules for threads and posts, the one place each is written.

The web forms, the CLI, the demo loader and the tests all create and change
threads through these functions; callers commit.
"""

from __future__ import annotations

import math
import re

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _
from flask_sqlalchemy.pagination import SelectPagination

from .. import events
from ..extensions import db
from ..models import THREAD_KINDS
from ..models import Post
from ..models import PostRevision
from ..models import Tag
from ..models import Thread
from ..models import User
from ..models import thread_tags
from ..models import utcnow
from ..moderation.models import ModerationAction
from ..permissions import Refused
from ..permissions import can_quote
from ..permissions import check
from ..permissions import visible_posts_clause
from ..permissions import visible_threads_clause
from ..permissions import why_not_edit
from ..permissions import why_not_post
from ..permissions import why_not_redact
from ..permissions import why_not_reply
from ..permissions import why_not_solve
from ..permissions import why_not_unredact
from ..permissions import why_not_withdraw
from ..regions import regions
from ..sections import SECTION_NAMES
from ..sections import section_values
from ..stored_html import keep_html
from ..stored_html import store_html
from ..stored_html import store_sections_html
from ..tags import get_tags
from ..tags import normalize_tag
from . import drafts

# Each list order's columns, all descending, after the pinned threads (the JSON API
# pages by a cursor over the same columns).
LIST_KEYS = {
    "activity": (Thread.last_activity_at, Thread.id),
    "newest": (Thread.created_at, Thread.id),
    "helpful": (Thread.helpful_count, Thread.last_activity_at, Thread.id),
}
LIST_SORTS = {name: tuple(column.desc() for column in keys) for name, keys in LIST_KEYS.items()}
# Solved: an accepted answer, or a linked practice chosen as the solution (both set solved_at).
STATUSES = {
    "solved": Thread.solved_at.is_not(None),
    "unsolved": sa.and_(Thread.kind == "challenge", Thread.solved_at.is_(None)),
}


def create_thread(
    author: User,
    kind: str,
    title: str,
    body: str,
    tags: list[str],
    *,
    sections: dict | None = None,
    files=(),
    discard_draft: bool = False,
    client_key: str | None = None,
    now=None,
) -> Thread:
    """Open a practice or challenge thread; its body becomes the opening post.

    ``sections`` holds the optional report sections (:mod:`forum.sections`);
    those of the other kind are dropped. ``files`` (checked uploads) are stored on
    the opening post; ``discard_draft`` removes the author's thread draft. All of
    it happens, or (a refused file, a failing listener) none of it. A
    ``client_key`` the author already posted with gives that post's thread back.
    """

    def write() -> Post:
        check(why_not_post(author))
        with events.all_or_nothing():
            thread = _new_thread(
                author, kind, title, body, tags, sections, now or utcnow(), client_key
            )
            events.thread_created.send(thread, opening=thread.posts[0])
            events.post_written.send(thread.posts[0], author=author, files=files)
            if discard_draft:
                drafts.discard_draft(author)
        return thread.posts[0]

    return _once(author, client_key, write).thread


def posted_with_key(author: User, client_key: str | None) -> Post | None:
    """The post ``author`` already made with ``client_key`` (a phone's outbox), if any."""
    if not client_key:
        return None
    return db.session.scalar(
        sa.select(Post).where(Post.author_id == author.id, Post.client_key == client_key)
    )


def _once(author: User, client_key: str | None, write) -> Post:
    """``write()``'s new post, or the one an earlier try with ``client_key`` made.

    A phone whose first try lost its response sends again with the same key; two
    tries at once meet at the unique index, and the second finds the first's post.
    """
    earlier = posted_with_key(author, client_key)
    if earlier is not None:
        return earlier
    try:
        return write()
    except sa.exc.IntegrityError:
        earlier = posted_with_key(author, client_key)
        if earlier is None:
            raise
        return earlier


def _new_thread(author, kind, title, body, tags, sections, now, client_key) -> Thread:
    library = author.library
    thread = Thread(
        kind=kind,
        title=title.strip(),
        author=author,
        waiting=author.is_waiting,
        library=library,
        regency=library.regency if library else None,
        province=library.province if library else None,
        created_at=now,
        last_activity_at=now,
        tags=get_tags(tags),
        **section_values(kind, sections or {}),
    )
    store_sections_html(thread)
    opening = Post(
        author=author,
        body=body,
        is_opening=True,
        created_at=now,
        client_key=client_key,
        waiting=author.is_waiting,
    )
    store_html(opening)
    thread.posts.append(opening)
    db.session.add(thread)
    db.session.flush()
    return thread


def create_reply(
    author: User,
    thread: Thread,
    body: str,
    *,
    files=(),
    discard_draft: bool = False,
    client_key: str | None = None,
    now=None,
) -> Post:
    """Reply to a thread, unless it is locked or the member is suspended.

    With its ``files`` and, if asked, without the member's draft for this thread:
    all of it, or nothing. A ``client_key`` the author already posted with gives
    that post back, whatever happened to the thread since.
    """

    def write() -> Post:
        check(why_not_reply(author, thread))
        moment = now or utcnow()
        with events.all_or_nothing():
            post = Post(
                thread=thread,
                author=author,
                body=body,
                created_at=moment,
                client_key=client_key,
                waiting=author.is_waiting,
            )
            store_html(post)
            db.session.add(post)
            if not post.waiting:  # a waiting reply does not bump the thread
                thread.last_activity_at = moment
            db.session.flush()
            events.reply_created.send(post)
            events.post_written.send(post, author=author, files=files)
            if discard_draft:
                drafts.discard_draft(author, thread)
        return post

    return _once(author, client_key, write)


def _keep_revision(post: Post, editor: User) -> None:
    """Save the version being replaced, with who wrote it and when."""
    revision = PostRevision(
        post=post,
        title=post.thread.title if post.is_opening else None,
        body=post.body,
        written_by=post.edited_by or post.author,
        written_at=post.edited_at or post.created_at,
    )
    keep_html(revision, post)
    db.session.add(revision)
    post.edited_at = utcnow()
    post.edited_by = editor


def _set_body(post: Post, body: str) -> None:
    post.body = body
    store_html(post)


def _log_moderator_edit(editor: User, post: Post) -> None:
    """A facilitator editing someone else's post is a moderation action."""
    if editor.id != post.author_id:
        ModerationAction.record(editor, "edit_post", post=post)
        events.post_moderated.send(editor, action="edit_post", thread=None, post=post)


def edit_post(
    editor: User, post: Post, body: str, *, files=(), redact_earlier: bool = False
) -> bool:
    """Change a post's body and add ``files``; False when nothing changed (no revision kept).

    ``redact_earlier`` (a facilitator editing a flagged post) also redacts every
    earlier version, the one just replaced included.
    """
    check(why_not_edit(editor, post))
    if redact_earlier:
        check(why_not_redact(editor, post))
    changed_text = body != post.body
    with events.all_or_nothing():
        if changed_text:
            _keep_revision(post, editor)
            _set_body(post, body)
            _log_moderator_edit(editor, post)
            events.post_edited.send(editor, post=post)
        if redact_earlier:
            redact_versions(editor, post)
        events.post_written.send(post, author=editor, files=files)
    return changed_text or bool(files)


def edit_thread(
    editor: User,
    thread: Thread,
    title: str,
    body: str,
    tags: list[str],
    sections: dict | None = None,
    *,
    files=(),
    redact_earlier: bool = False,
) -> bool:
    """Change a thread's title, body, tags and sections; the old title and body go to history.

    ``redact_earlier`` redacts the earlier versions too (see :func:`edit_post`).
    """
    post = thread.opening_post
    check(why_not_edit(editor, post))
    if redact_earlier:
        check(why_not_redact(editor, post))
    with events.all_or_nothing():
        title = title.strip()
        changed_text = title != thread.title or body != post.body
        if changed_text:
            _keep_revision(post, editor)
            thread.title = title
            if body != post.body:
                _set_body(post, body)
            events.post_edited.send(editor, post=post)
        if redact_earlier:
            redact_versions(editor, post)
        new_tags = get_tags(tags)
        changed_tags = [t.name for t in new_tags] != [t.name for t in thread.tags]
        if changed_tags:
            thread.tags = new_tags
        changed_sections = False
        if sections is not None:
            for name, value in section_values(thread.kind, sections).items():
                if getattr(thread, name) != value:
                    setattr(thread, name, value)
                    changed_sections = True
            if changed_sections:
                store_sections_html(thread)
        changed = changed_text or changed_tags or changed_sections
        if changed:
            _log_moderator_edit(editor, post)
        events.post_written.send(post, author=editor, files=files)
    return changed or bool(files)


class NotAnAnswer(ValueError):
    """The chosen post cannot be a challenge's accepted answer (shown as a form error)."""


def solve(
    actor: User, thread: Thread, post: Post | None, *, practice: Thread | None = None, now=None
) -> bool:
    """Mark a reply as the challenge's accepted answer, or clear it (``post=None``).

    Only a public reply of this thread qualifies, never the opening post. Or
    ``practice``, a public best practice linked to the challenge (the adoptions
    area checks the link when it hears ``answer_accepted``), solves it instead:
    the same ``solved_at``, the same event. Returns False when nothing changed.
    """
    check(why_not_solve(actor, thread))
    if post is not None and (post.thread_id != thread.id or post.is_opening or not post.is_public):
        raise NotAnAnswer(post.id)
    if practice is not None and (
        post is not None or practice.kind != "practice" or not practice.is_public
    ):
        raise NotAnAnswer(practice.id)
    new_id = post.id if post is not None else None
    if (
        thread.accepted_post_id == new_id
        and practice is None
        and (post is not None or thread.solved_at is None)
    ):
        return False
    with events.all_or_nothing():
        thread.accepted_post_id = new_id
        solved = post is not None or practice is not None
        thread.solved_at = (now or utcnow()) if solved else None
        if actor.id != thread.author_id:
            ModerationAction.record(
                actor,
                "solve",
                thread=thread,
                post=post,
                details=_solve_details(solved, practice),
            )
        events.answer_accepted.send(actor, thread=thread, post=post, practice=practice)
    return True


def _solve_details(solved: bool, practice: Thread | None) -> str | None:
    if practice is not None:
        return f"practice {practice.id}"
    return None if solved else "cleared"


def accepted_answer(thread: Thread, viewer) -> Post | None:
    """The accepted reply, when there is one and the viewer may see it."""
    from ..permissions import can_see_post

    if thread.accepted_post_id is None:
        return None
    post = db.session.get(
        Post,
        thread.accepted_post_id,
        options=[
            so.joinedload(Post.author).joinedload(User.library),
            so.joinedload(Post.attachments),
        ],
    )
    return post if post is not None and can_see_post(viewer, post) else None


def withdraw_post(user: User, post: Post) -> Thread | None:
    """Withdraw an own post (a soft delete kept for moderators).

    Withdrawing the opening post withdraws the whole thread; returns that thread.
    """
    check(why_not_withdraw(user, post))
    now = utcnow()
    if post.is_opening:
        post.thread.withdrawn_at = now
        return post.thread
    post.withdrawn_at = now
    return None


def _visible_threads(viewer):
    return (
        sa.select(Thread)
        .where(visible_threads_clause(viewer))
        .options(so.joinedload(Thread.author), so.joinedload(Thread.library))
    )


def list_threads(
    viewer,
    *,
    kind=None,
    tag=None,
    region=None,
    status=None,
    section=None,
    sort="activity",
    page=1,
    per_page=20,
):
    """A page of threads for the lists: pinned first, then by the chosen order.

    ``status`` is ``solved`` (has an accepted answer) or ``unsolved`` (a
    challenge without one); ``section`` keeps threads that fill in that report
    section (e.g. practices that report their participants).
    """
    query = filtered_threads(
        viewer, kind=kind, tag=tag, region=region, status=status, section=section
    )
    query = query.order_by(*(column.desc() for column in list_keys(sort)))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def home_lists(viewer, place: tuple[str | None, str | None], per_list: int = 5) -> dict:
    """The home page's lists, each thread in one of them only: ``near`` the member (their
    kabupaten/kota first, then the rest of its province), then the latest practices and
    challenges."""
    regency, province = place
    near: list[Thread] = []
    if province:
        mine_first = sa.case((Thread.regency == regency, 1), else_=0).desc()
        near = list(
            db.session.scalars(
                filtered_threads(viewer)
                .where(Thread.province == province)
                .order_by(mine_first, Thread.last_activity_at.desc(), Thread.id.desc())
                .limit(per_list)
            )
        )
    shown = [thread.id for thread in near]

    def latest(kind: str) -> list[Thread]:
        query = filtered_threads(viewer, kind=kind).where(Thread.id.not_in(shown))
        order = (column.desc() for column in list_keys("activity"))
        return list(db.session.scalars(query.order_by(*order).limit(per_list)))

    return {"near": near, "practices": latest("practice"), "challenges": latest("challenge")}


def list_filters(args) -> dict:
    """A thread list's filters from a query string; anything unknown is no filter.

    The same for the ``/threads`` page, the JSON API and the feeds.
    """
    kind = args.get("kind") or None
    region = args.get("region") or None
    section = args.get("section") or None
    status = args.get("status") or None
    sort = args.get("sort", "activity")
    return {
        "kind": kind if kind in THREAD_KINDS else None,
        "tag": normalize_tag(args.get("tag", "")) or None,
        "region": region if region in regions().regencies else None,
        "status": status if status in STATUSES else None,
        "section": section if section in SECTION_NAMES else None,
        "sort": sort if sort in LIST_SORTS else "activity",
    }


def tags_in_use(viewer) -> list[tuple[str, int]]:
    """Every tag of a thread the viewer may see, with how many such threads, most first."""
    count = sa.func.count(Thread.id)
    rows = db.session.execute(
        sa.select(Tag.name, count)
        .join(thread_tags, thread_tags.c.tag_id == Tag.id)
        .join(Thread, Thread.id == thread_tags.c.thread_id)
        .where(visible_threads_clause(viewer))
        .group_by(Tag.name)
        .order_by(count.desc(), Tag.name)
    )
    return [(name, n) for name, n in rows]


def list_keys(sort: str) -> tuple:
    """The columns a list is ordered by (each descending): pinned first, then ``sort``'s."""
    return (Thread.pinned, *LIST_KEYS.get(sort, LIST_KEYS["activity"]))


def filtered_threads(viewer, *, kind=None, tag=None, region=None, status=None, section=None):
    """The threads a list shows (unordered): what the viewer may see, with the list's filters."""
    query = _visible_threads(viewer)
    if kind:
        query = query.where(Thread.kind == kind)
    if tag:
        query = query.where(Thread.tags.any(Tag.name == tag))
    if region:
        query = query.where(Thread.regency == region)
    if status in STATUSES:
        query = query.where(STATUSES[status])
    if section in SECTION_NAMES:
        query = query.where(getattr(Thread, section).is_not(None))
    return query


def newest_threads(viewer, *, limit: int, where=None, **filters) -> list[Thread]:
    """The newest threads the viewer may see (no pinned ones first), for feeds.

    ``filters`` as :func:`filtered_threads`; ``where`` an extra SQL condition.
    """
    query = filtered_threads(viewer, **filters)
    if where is not None:
        query = query.where(where)
    query = query.options(so.joinedload(Thread.opening_post))
    return list(
        db.session.scalars(
            query.order_by(Thread.created_at.desc(), Thread.id.desc()).limit(limit)
        ).unique()
    )


def newest_replies(thread: Thread, viewer, *, limit: int) -> list[Post]:
    """The thread's newest replies the viewer may see, newest first, for its feed."""
    query = visible_replies(thread, viewer).order_by(*(key.desc() for key in REPLY_KEYS))
    return list(db.session.scalars(query.limit(limit)).unique())


def needs_help(viewer, *, page=1, per_page=20):
    """Unsolved challenges, the longest waiting first."""
    query = _visible_threads(viewer).where(STATUSES["unsolved"])
    query = query.order_by(Thread.created_at, Thread.id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def load_thread(thread_id: int, viewer) -> Thread:
    """The thread, or :class:`Refused` as 404 when the viewer may not see it."""
    from ..permissions import can_see_thread

    thread = db.session.get(
        Thread,
        thread_id,
        options=[
            so.joinedload(Thread.author),
            so.joinedload(Thread.library),
            # The opening post and its files come with the thread (one statement).
            so.joinedload(Thread.opening_post).joinedload(Post.attachments),
            # So does a practice's verified mark (otherwise a statement of its own).
            so.joinedload(Thread.verification),
        ],
    )
    if thread is None or not can_see_thread(viewer, thread):
        raise Refused("not found", status=404)
    return thread


def load_post(post_id: int, viewer) -> Post:
    from ..permissions import can_see_post

    post = db.session.get(
        Post,
        post_id,
        options=[
            so.joinedload(Post.thread),
            so.joinedload(Post.author),
            so.joinedload(Post.edited_by),
        ],
    )
    if post is None or not can_see_post(viewer, post):
        raise Refused("not found", status=404)
    return post


def replies_page(thread: Thread, viewer, page: int, per_page: int):
    """One page of a thread's replies, authors and libraries loaded with them."""
    query = visible_replies(thread, viewer).order_by(*REPLY_KEYS)
    # The page shows the stored HTML, not the Markdown source (the API does) or a phone's key.
    query = query.options(so.defer(Post.body), so.defer(Post.client_key))
    replies = CountedPagination(
        select=query, session=db.session(), page=page, per_page=per_page, error_out=False
    )
    for post in replies.items:  # the page asks each reply for its thread: no lookup each
        so.attributes.set_committed_value(post, "thread", thread)
    return replies


class CountedPagination(SelectPagination):
    """:meth:`db.paginate` whose page of rows also carries the total (``count(*) OVER ()``,
    counted before the limit): one statement instead of two. Only a page past the end
    (no rows to carry it) is counted on its own.
    """

    def _query_items(self) -> list:
        select = self._query_args["select"].add_columns(sa.func.count().over().label("total"))
        select = select.limit(self.per_page).offset(self._query_offset)
        rows = self._query_args["session"].execute(select).unique().all()
        self._counted = rows[0].total if rows else (0 if self.page == 1 else None)
        return [row[0] for row in rows]

    def _query_count(self) -> int:
        return self._counted if self._counted is not None else super()._query_count()


REPLY_KEYS = (Post.created_at, Post.id)  # a thread's replies, oldest first


def visible_replies(thread: Thread, viewer):
    """The thread's replies the viewer may see (unordered), authors and files loaded."""
    return (
        sa.select(Post)
        .where(Post.thread_id == thread.id, Post.is_opening.is_(False))
        .where(visible_posts_clause(viewer))
        .options(so.joinedload(Post.author).joinedload(User.library))
        .options(so.joinedload(Post.attachments))  # in the same query: no extra statement
        # Who edited a reply last is shown on its history page only, which loads it itself.
    )


def page_of_reply(post: Post, per_page: int) -> int:
    """Which page of its thread a reply is on, for the redirect after replying."""
    position = db.session.scalar(
        sa.select(sa.func.count(Post.id)).where(
            Post.thread_id == post.thread_id,
            Post.is_opening.is_(False),
            Post.is_public,
            sa.or_(
                Post.created_at < post.created_at,
                sa.and_(Post.created_at == post.created_at, Post.id <= post.id),
            ),
        )
    )
    return max(1, math.ceil(position / per_page))


def history_page(post: Post, page: int, per_page: int):
    """One page of a post's earlier versions, newest first, with who wrote each."""
    query = (
        sa.select(PostRevision)
        .where(PostRevision.post_id == post.id)
        .options(so.joinedload(PostRevision.written_by))
        .order_by(PostRevision.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def load_revision(post: Post, revision_id: int) -> PostRevision:
    """An earlier version of this post, or :class:`Refused` as 404."""
    revision = db.session.get(PostRevision, revision_id)
    if revision is None or revision.post_id != post.id:
        raise Refused("not found", status=404)
    return revision


def _log_redaction(actor: User, post: Post, details: str) -> None:
    if actor.id != post.author_id:
        ModerationAction.record(actor, "redact", post=post, details=details)


def redact(actor: User, revision: PostRevision, *, now=None) -> bool:
    """Redact one earlier version: only facilitators still read it. False if it already was."""
    post = revision.post
    check(why_not_redact(actor, post))
    if revision.redacted_at is not None:
        return False
    revision.redacted_at = now or utcnow()
    revision.redacted_by = actor
    _log_redaction(actor, post, f"revision {revision.id}")
    return True


def unredact(actor: User, revision: PostRevision) -> bool:
    """Show a redacted version again (facilitators only: an author's redaction is theirs to ask)."""
    check(why_not_unredact(actor, revision.post))
    if revision.redacted_at is None:
        return False
    revision.redacted_at = None
    revision.redacted_by = None
    ModerationAction.record(
        actor, "unredact", post=revision.post, details=f"revision {revision.id}"
    )
    return True


def redact_versions(actor: User, post: Post, *, now=None) -> int:
    """Redact every earlier version of the post not redacted yet; returns how many."""
    check(why_not_redact(actor, post))
    db.session.flush()  # the version an edit just kept is redacted too
    ids = list(
        db.session.scalars(
            sa.select(PostRevision.id).where(
                PostRevision.post_id == post.id, PostRevision.redacted_at.is_(None)
            )
        )
    )
    if ids:
        db.session.execute(
            sa.update(PostRevision)
            .where(PostRevision.id.in_(ids))
            .values(redacted_at=now or utcnow(), redacted_by_id=actor.id)
            .execution_options(synchronize_session="fetch")
        )
        _log_redaction(actor, post, f"{len(ids)} earlier versions")
    return len(ids)


def last_replies(threads) -> dict[int, Post]:
    """The newest public reply of each thread, by thread id (threads without one are absent).

    A list shows it beside the last-activity time, so an old thread that someone
    just answered reads as answered, not as if its author had just written. One
    query for a whole page of threads.
    """
    ids = [thread.id for thread in threads]
    if not ids:
        return {}
    newest = (
        sa.select(sa.func.max(Post.id).label("id"))
        .where(
            Post.thread_id.in_(ids),
            Post.is_opening.is_(False),
            Post.is_public,
        )
        .group_by(Post.thread_id)
    )
    posts = db.session.scalars(
        sa.select(Post).where(Post.id.in_(newest)).options(so.selectinload(Post.author))
    )
    return {post.thread_id: post for post in posts}


QUOTE_CHARS = 300  # a quote's excerpt: enough to recall the point, not the whole post


def _excerpt(body: str) -> str:
    """The post's own words (its quotes of others left out), cut at a word near QUOTE_CHARS."""
    lines = [line.rstrip() for line in body.splitlines() if not line.lstrip().startswith(">")]
    text = "\n".join(lines).strip()
    text = re.sub(r"\n{3,}", "\n\n", text)
    if len(text) > QUOTE_CHARS:
        text = text[:QUOTE_CHARS].rsplit(None, 1)[0].rstrip(".,;:") + " …"
    return text


def quote(thread: Thread, post_id: int, post_address) -> str:
    """A reply's opening: a Markdown blockquote of the post's excerpt, linking to it.

    Only a post of this thread that every member can see is quoted
    (:func:`~forum.permissions.can_quote`); anything else is :class:`Refused` as 404.
    ``post_address(post)`` is the post's address on its page of the thread.
    """
    post = db.session.get(Post, post_id, options=[so.joinedload(Post.author)])
    if post is None or post.thread_id != thread.id or not can_quote(post):
        raise Refused("not found", status=404)
    name = post.author.display_name.replace("[", "(").replace("]", ")")
    heading = _("%(name)s [wrote](%(address)s):", name=name, address=post_address(post))
    quoted = "\n".join(f"> {line}" if line else ">" for line in _excerpt(post.body).splitlines())
    return f"> {heading}\n>\n{quoted}\n\n"
