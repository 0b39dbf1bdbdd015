"""How a thread, a post, a member or a file looks to the search index when it changes.

Models call these from their ``search_changes()`` during a flush (see
``search_index.outbox``): a document for each public post, a key to delete for
anything hidden or withdrawn, so the index never holds what members cannot see.
This module reads rows it is given and imports no model and no service (models
import it); :mod:`forum.search_documents` streams every searchable post.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import sqlalchemy as sa

from search_index import SearchDocument
from search_index import document_key

from .sections import SECTION_NAMES
from .sections import filled_sections

if TYPE_CHECKING:
    from .models import Post
    from .models import Thread

# Thread columns copied into every post document; a change to any of them
# re-indexes the thread's posts. last_activity_at alone does not: a reply is
# indexed on its own, and re-indexing a long thread on every reply would cost
# one document per post.
THREAD_FIELDS_IN_INDEX = (
    "kind",
    "title",
    "tags",
    "author_id",
    "library_id",
    "regency",
    "province",
    "accepted_post_id",
    "solved_at",  # solved by a linked practice: no accepted answer, still solved
    "hidden",
    "withdrawn_at",
    "waiting",
)
# "attachments": files' names, captions and PDF text go into `extra` (forum/attachments).
POST_FIELDS_IN_INDEX = ("body", "hidden", "withdrawn_at", "waiting", "author_id", "attachments")
# User columns copied into each of their post documents.
AUTHOR_FIELDS_IN_INDEX = ("username", "stored_display_name", "deleted_at")
# Only the opening post's document carries the thread's report sections.
OPENING_FIELDS_IN_INDEX = SECTION_NAMES


def build_document(post: Post) -> SearchDocument:
    """The index's view of one post (public or not: callers decide)."""
    thread = post.thread
    library = thread.library
    return SearchDocument(
        post_id=post.id,
        thread_id=thread.id,
        is_opening=post.is_opening,
        kind=thread.kind,
        title=thread.title,
        body=post.body,
        author=post.author.username,
        # A deleted member's old name must leave the index; never a translated label.
        author_name="" if post.author.is_deleted else post.author.display_name,
        created=post.created_at,
        # The thread's start, not its moving last activity: a reply does not
        # re-index the thread's older posts, so a moving value would leave them
        # "stale" for `flask search check`. Sorting by newest means newest threads.
        last_activity=thread.created_at,
        # Sorted: at flush time the list is in the order tags were added, loaded
        # from the database it is alphabetical; the document must not differ.
        tags=tuple(sorted(tag.name for tag in thread.tags)),
        library=library.name if library else "",
        region=thread.regency or "",
        province=thread.province or "",
        solved=thread.is_solved,
        verified=thread.is_verified,
        extra=" ".join(extra_parts(post)),
    )


def extra_parts(post: Post) -> list[str]:
    """Searchable text beyond the body: the opening post's report sections, attached files."""
    parts = []
    if post.is_opening:
        parts += [str(value) for _, value in filled_sections(post.thread)]
    parts += file_parts(post)
    return parts


def file_parts(post: Post) -> list[str]:
    """File names, captions and PDF text of a post's visible files."""
    parts: list[str] = []
    for attachment in post.attachments:
        if attachment.hidden:
            continue
        parts.append(attachment.name.rsplit(".", 1)[0].replace("_", " "))
        parts += [value for value in (attachment.caption, attachment.text) if value]
    return parts


def is_searchable(post: Post) -> bool:
    return post.is_public and post.thread.is_public


def change_for(post: Post) -> SearchDocument | str:
    """A document to index, or the key to delete when members cannot see the post."""
    if post.id is None:
        return ""
    return build_document(post) if is_searchable(post) else document_key(post.id)


def _changed(obj, fields: Iterable[str]) -> bool:
    state = sa.inspect(obj)
    if state.pending or not state.has_identity:
        return True
    # A column set to a SQL expression (e.g. func.now()) is expired by the flush
    # and has no history left: count it as changed rather than miss it.
    return any(
        name in state.expired_attributes or state.attrs[name].history.has_changes()
        for name in fields
    )


def thread_documents(thread: Thread) -> list[SearchDocument | str]:
    if _changed(thread, THREAD_FIELDS_IN_INDEX):
        posts = thread.posts
    elif _changed(thread, OPENING_FIELDS_IN_INDEX):
        posts = [post for post in thread.posts if post.is_opening]
    else:
        return []
    return [change for change in map(change_for, posts) if change]


def post_documents(post: Post) -> list[SearchDocument | str]:
    if not _changed(post, POST_FIELDS_IN_INDEX):
        return []
    change = change_for(post)
    return [change] if change else []


def author_names_changed(user) -> bool:
    """A rename or an account deletion: every post of the member carries the old names."""
    state = sa.inspect(user)
    if state.pending or not state.has_identity:
        return False  # a new member has no posts yet
    # History only: names are never set to SQL expressions, and an attribute merely
    # expired by a commit must not re-index every post at each logout.
    return any(state.attrs[name].history.has_changes() for name in AUTHOR_FIELDS_IN_INDEX)


def changes_for(posts: Iterable[Post]) -> list[SearchDocument | str]:
    return [change for change in map(change_for, posts) if change]
