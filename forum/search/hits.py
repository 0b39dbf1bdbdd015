"""Search results for the page: the form's filters, hits joined with their threads, notes.

The engine (``search_index``) returns plain hits in rank order; here they meet
the database: one query loads their threads, one finds the reply pages. Its
notes (a bracket without a partner, a date out of range) become sentences in
the member's language.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from search_index import SearchFilters
from search_index import SearchHit

from ..extensions import db
from ..extensions import search
from ..models import Post
from ..models import Thread
from ..models import User
from ..permissions import visible_threads_clause
from ..regions import regions
from ..tags import normalize_tag
from .search_log import log_search


@dataclass(frozen=True)
class ThreadHit:
    """A search hit joined with its thread, ready for the page."""

    thread: Thread
    post_id: int
    is_opening: bool
    page: int  # the thread page the matching post is on
    title_html: Markup
    snippet_html: Markup
    matching_posts: int


def filters_from_form(form) -> SearchFilters:
    """The form's controls as engine filters (typed operators are added by the engine)."""
    regency = regions().find_regency(form.region.data) if form.region.data else None
    return SearchFilters(
        kind=form.kind.data or None,
        tag=normalize_tag(form.tag.data or "") or None,
        author=author_username(form.author.data or ""),
        region=regency.slug if regency else (form.region.data or None),
        province=form.province.data or None,
        status=form.status.data or None,
        after=form.after.data if not form.after.errors else None,
        before=form.before.data if not form.before.errors else None,
        in_title=form.in_.data == "title",
        thread_id=form.thread.data if not form.thread.errors else None,
    )


def author_username(typed: str) -> str | None:
    """The member the form names, by display name or username ("Asep Sunandar", "@asep")."""
    text = " ".join(typed.lstrip("@").split())
    if not text:
        return None
    lowered = text.lower()
    username = db.session.scalar(
        sa.select(User.username)
        .where(
            User.deleted_at.is_(None),
            sa.or_(
                sa.func.lower(User.username) == lowered,
                sa.func.lower(User.stored_display_name) == lowered,
            ),
        )
        .order_by(sa.func.lower(User.username) != lowered)  # a username first
        .limit(1)
    )
    return username or lowered


def run_search(form, viewer, *, page: int, per_page: int, exact: bool = False):
    """The search page's (and the API's) search: ``(found, hits)``, or ``(None, [])`` when
    there is nothing to search for. A first page of a typed search is logged."""
    form.validate()  # only dates and the thread id can be wrong; they are shown inline
    query = "" if form.q.errors else (form.q.data or "")  # e.g. a line break: shown inline
    filters = filters_from_form(form)
    if not (query or has_filters(filters) or filters.thread_id is not None):
        return None, []
    found = search.search(
        query,
        filters,
        page=page,
        per_page=per_page,
        sort=form.sort.data if form.sort.data in ("relevance", "newest") else "relevance",
        correct=not exact,
    )
    hits = load_hits(found.hits, viewer, current_app.config["REPLIES_PER_PAGE"])
    if query and page == 1 and filters.thread_id is None:
        log_search(query, found.total, viewer)
    return found, hits


def has_filters(filters: SearchFilters) -> bool:
    return any(
        value for name, value in vars(filters).items() if name not in {"in_title", "thread_id"}
    )


def _reply_pages(post_ids: list[int], per_page: int) -> dict[int, int]:
    """Page of each reply in its thread, for all hits in one query."""
    if not post_ids:
        return {}
    target = so.aliased(Post)
    earlier = so.aliased(Post)
    rows = db.session.execute(
        sa.select(target.id, sa.func.count(earlier.id))
        .join(
            earlier,
            sa.and_(
                earlier.thread_id == target.thread_id,
                earlier.is_opening.is_(False),
                earlier.is_public,
                earlier.id <= target.id,
            ),
        )
        .where(target.id.in_(post_ids))
        .group_by(target.id)
    ).all()
    return {post_id: max(1, math.ceil(position / per_page)) for post_id, position in rows}


def load_hits(hits: list[SearchHit], viewer, replies_per_page: int) -> list[ThreadHit]:
    """The hits' threads in rank order (two queries whatever the page size)."""
    if not hits:
        return []
    thread_ids = [hit.thread_id for hit in hits]
    threads = {
        thread.id: thread
        for thread in db.session.scalars(
            sa.select(Thread)
            .where(Thread.id.in_(thread_ids), visible_threads_clause(viewer))
            .options(so.joinedload(Thread.author), so.joinedload(Thread.library))
        )
    }
    openings = set(
        db.session.scalars(
            sa.select(Post.id).where(Post.id.in_([h.post_id for h in hits]), Post.is_opening)
        )
    )
    pages = _reply_pages([h.post_id for h in hits if h.post_id not in openings], replies_per_page)
    return [
        ThreadHit(
            thread=threads[hit.thread_id],
            post_id=hit.post_id,
            is_opening=hit.post_id in openings,
            page=pages.get(hit.post_id, 1),
            title_html=Markup(hit.title_html),  # noqa: S704 - escaped by the engine
            snippet_html=Markup(hit.snippet_html),  # noqa: S704 - escaped by the engine
            matching_posts=hit.matching_posts,
        )
        for hit in hits
        if hit.thread_id in threads  # withdrawn since it was indexed
    ]


# The engine's notes, by key, in the member's language.
NOTE_TEXTS = {
    "too_long": _l("The search was cut to %(limit)s characters."),
    "control_chars": _l("Control characters in the search were ignored."),
    "unbalanced_quote": _l("A quotation mark has no partner; the phrase runs to the end."),
    "unbalanced_paren": _l("A bracket has no partner and was ignored."),
    "lone_operator": _l("%(op)s needs a word on both sides and was ignored."),
    "bare_wildcard": _l("* needs at least %(n)s letters before it (e.g. pustak*)."),
    "inner_wildcard": _l("* may only end a word."),
    "fuzzy_capped": _l("Spelling distance is limited to %(n)s."),
    "empty_filter": _l("The filter %(name)s: needs a value and was ignored."),
    "bad_filter": _l("“%(value)s” is not known for %(name)s: and was ignored."),
    "bad_date": _l("The date “%(value)s” is not known (use YYYY-MM-DD) and was ignored."),
    "date_out_of_range": _l(
        "The date “%(value)s” is outside the years %(low)s–%(high)s and was ignored."
    ),
    "too_deep": _l("Brackets more than %(n)s deep were ignored."),
    "too_many_patterns": _l(
        "Only %(n)s words with * or ~ were expanded; the rest were searched as typed."
    ),
    "word_too_long": _l("Words longer than %(n)s letters were ignored."),
    "phrase_too_long": _l("The phrase was cut to %(n)s words."),
    "no_words": _l("There are no words to search for; try other words."),
    "only_stop_words": _l("Those words are too common to search for; add another word."),
    "too_many_words": _l("Only the first %(n)s words were searched."),
    "expansion_capped": _l("%(pattern)s matches too many words; only %(n)s were used."),
    "rebuilding": _l("The search index is being rebuilt; please try again in a moment."),
    "failed": _l("Search is having trouble; please try again in a moment."),
}


def describe_notes(notes) -> list[str]:
    """The engine's notes as sentences in the member's language."""
    texts = []
    for note in notes:
        template = NOTE_TEXTS.get(note.key)
        texts.append(str(template) % dict(note.params) if template else note.text)
    return texts
