"""Similar threads: for the thread page (remembered a few minutes) and while a title is typed."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from cachetools import TTLCache
from flask import current_app

from ..extensions import db
from ..extensions import search
from ..models import Thread
from ..permissions import visible_threads_clause

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
