"""The forum's side of search: filters from the form, hits to rows, the search log.

The engine (``search_index``) returns plain hits in rank order; here they meet
the database: one query loads their threads, one finds the reply pages.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import threading
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from cachetools import TTLCache
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from markupsafe import Markup

from search_index import SearchFilters
from search_index import SearchHit

from ..database import writing
from ..extensions import db
from ..extensions import search
from ..models import Post
from ..models import SearchLogEntry
from ..models import Thread
from ..models import search_outbox
from ..models import utcnow
from ..permissions import visible_threads_clause
from ..regions import regions
from ..search_documents import all_documents
from ..tags import normalize_tag

log = logging.getLogger(__name__)
MAX_LOGGED_QUERY = 200


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
        author=(form.author.data or "").lstrip("@").lower() or None,
        region=regency.slug if regency else (form.region.data or None),
        province=form.province.data or None,
        status=form.status.data or None,
        after=form.after.data if not form.after.errors else None,
        before=form.before.data if not form.before.errors else None,
        in_title=form.in_.data == "title",
        thread_id=form.thread.data if not form.thread.errors else None,
    )


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
                earlier.hidden.is_(False),
                earlier.withdrawn_at.is_(None),
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


SIMILAR_LIMIT = 5
_similar_lock = threading.Lock()


def similar_threads(text: str, viewer, *, exclude_thread: int | None = None) -> list[Thread]:
    """Up to 5 threads like ``text`` (Whoosh more-like-this), most similar first."""
    hits = search.similar(text, limit=SIMILAR_LIMIT, exclude_thread=exclude_thread) if text else []
    return _visible_in_order([hit.thread_id for hit in hits], viewer)


def similar_to_thread(thread: Thread, text: str, viewer) -> list[Thread]:
    """:func:`similar_threads` for a thread page, remembered for a few minutes per worker.

    The lookup costs more than a plain search on a large index (bench/similar.py)
    and its answer barely changes from one view to the next. Only thread ids are
    kept: who may see them is decided on every view.
    """
    cache = current_app.extensions.get("serambi.similar")
    if cache is None:
        cache = current_app.extensions.setdefault(
            "serambi.similar",
            TTLCache(maxsize=4096, ttl=current_app.config["SIMILAR_CACHE_SECONDS"]),
        )
    with _similar_lock:
        ids = cache.get(thread.id)
    if ids is None:
        hits = search.similar(text, limit=SIMILAR_LIMIT, exclude_thread=thread.id)
        ids = [hit.thread_id for hit in hits]
        with _similar_lock:
            cache[thread.id] = ids
    return _visible_in_order(ids, viewer)


def _visible_in_order(thread_ids: list[int], viewer) -> list[Thread]:
    """The threads the viewer may see, in the given order (one query).

    The index holds only public posts and this query keeps to what the viewer
    may see, so a hidden thread is never suggested, even from the cache.
    """
    if not thread_ids:
        return []
    threads = {
        thread.id: thread
        for thread in db.session.scalars(
            sa.select(Thread).where(Thread.id.in_(thread_ids), visible_threads_clause(viewer))
        )
    }
    return [threads[thread_id] for thread_id in thread_ids if thread_id in threads]


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


def normalize_logged_query(query: str) -> str:
    return re.sub(r"\s+", " ", query).strip().lower()[:MAX_LOGGED_QUERY]


# The log tells facilitators what people look for, not how often one person
# (or one script) presses Enter: the same words from the same searcher count
# once an hour, and visitors together add at most so many rows an hour.
LOG_SAME_SEARCH = "1 per hour"
DEFAULT_LOG_VISITORS = "60 per hour"


def _log_limiter() -> FixedWindowRateLimiter:
    """Counters in the rate limits' storage (shared by workers when that is Redis)."""
    limiter = current_app.extensions.get("serambi.search_log_limiter")
    if limiter is None:
        uri = current_app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
        try:
            storage = storage_from_string(uri)
        except Exception:  # a storage this process cannot use: count here
            log.warning("search log: storage %s unusable, counting per process", uri)
            storage = storage_from_string("memory://")
        limiter = current_app.extensions.setdefault(
            "serambi.search_log_limiter", FixedWindowRateLimiter(storage)
        )
    return limiter


def _searcher_key(searcher) -> tuple[str, bool]:
    """An opaque key for who searched (never stored with the query), and whether a visitor."""
    if searcher is not None and getattr(searcher, "is_authenticated", False):
        return f"member:{searcher.id}", False
    return f"address:{get_remote_address()}", True


def should_log(text: str, searcher) -> bool:
    """True if this search adds a row: new for this searcher this hour, within visitors' share."""
    who, visitor = _searcher_key(searcher)
    digest = hashlib.sha256(f"{who}|{text}".encode()).hexdigest()[:32]
    try:
        limiter = _log_limiter()
        if not limiter.hit(parse(LOG_SAME_SEARCH), "search-log", digest):
            return False
        if visitor:
            share = current_app.config.get("SEARCH_LOG_VISITORS", DEFAULT_LOG_VISITORS)
            return limiter.hit(parse(share), "search-log", "visitors")
        return True
    except Exception:  # the counters are down: log nothing rather than everything
        log.warning("search log: counters unavailable, search not logged", exc_info=True)
        return False


def log_search(query: str, results: int, searcher=None) -> None:
    """Record a search (never who made it) in its own short write transaction.

    Search is a GET: the request's own session only reads, so this write takes
    a separate connection and, on SQLite, the write lock for a moment. Repeats
    and floods are not recorded (:func:`should_log`).
    """
    text = normalize_logged_query(query)
    if not text or not should_log(text, searcher):
        return
    try:
        with writing(), db.engine.begin() as connection:
            connection.execute(
                sa.insert(SearchLogEntry).values(query=text, results=results, created_at=utcnow())
            )
    except sa.exc.SQLAlchemyError:
        log.warning("search log: could not record a search", exc_info=True)


@dataclass(frozen=True)
class LoggedQuery:
    query: str
    searches: int
    last_results: int


def search_log_summary(
    days: int = 90, limit: int = 50
) -> tuple[list[LoggedQuery], list[LoggedQuery]]:
    """(most frequent searches, searches that found nothing) over the last ``days``."""
    since = utcnow() - timedelta(days=days)
    base = (
        sa.select(
            SearchLogEntry.query,
            sa.func.count(SearchLogEntry.id).label("searches"),
            sa.func.min(SearchLogEntry.results).label("fewest"),
        )
        .where(SearchLogEntry.created_at >= since)
        .group_by(SearchLogEntry.query)
    )
    frequent = db.session.execute(
        base.order_by(sa.desc("searches"), SearchLogEntry.query).limit(limit)
    ).all()
    empty = db.session.execute(
        base.having(sa.func.max(SearchLogEntry.results) == 0)
        .order_by(sa.desc("searches"), SearchLogEntry.query)
        .limit(limit)
    ).all()
    return (
        [LoggedQuery(q, n, fewest) for q, n, fewest in frequent],
        [LoggedQuery(q, n, fewest) for q, n, fewest in empty],
    )


def _snapshot() -> None:
    """Read everything that follows in one consistent snapshot of the database.

    SQLite's read transactions already are snapshots; PostgreSQL needs
    REPEATABLE READ, set before the transaction's first statement.
    """
    db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def _discard_outbox_rows(ids: list[int]) -> None:
    with writing(), db.engine.begin() as connection:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            connection.execute(sa.delete(search_outbox).where(search_outbox.c.id.in_(chunk)))


def rebuild_index(progress=None, procs: int = 1) -> int:
    """Rebuild the index from the database; returns the number of posts indexed.

    The engine calls ``snapshot_documents`` only once it holds the index write
    lock, so no drain can slip between the snapshot and the swap. Outbox rows
    already committed in that snapshot describe changes the rebuild includes:
    they are discarded, because applied afterwards they would put older versions
    back. Rows committed later stay and are drained as usual.
    """
    reflected: list[int] = []

    def snapshot_documents():
        _snapshot()
        reflected.extend(db.session.scalars(sa.select(search_outbox.c.id)))
        return all_documents(db.session)

    try:
        count = search.rebuild(snapshot_documents, progress=progress, procs=procs)
    finally:
        db.session.rollback()
    _discard_outbox_rows(reflected)
    return count


def check_index(repair: bool, progress=None):
    """Drain pending work, then compare the index with one snapshot of the database."""
    search.drain(db.engine)
    counted: list[int] = []

    def snapshot_documents():
        _snapshot()
        documents, total = all_documents(db.session)
        counted.append(total)
        return documents

    try:
        report = search.check(snapshot_documents, repair=repair, progress=progress)
    finally:
        db.session.rollback()
    return report, counted[0] if counted else 0
