"""Similar threads: stored for the thread page, looked up while a new thread is written."""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..extensions import search
from ..models import Thread
from ..models import similar_threads as similar_threads_table
from ..permissions import visible_threads_clause

SIMILAR_LIMIT = 5


def similar_threads(text: str, viewer, *, exclude_thread: int | None = None) -> list[Thread]:
    """Up to 5 threads like ``text`` (Whoosh more-like-this), most similar first."""
    hits = search.similar(text, limit=SIMILAR_LIMIT, exclude_thread=exclude_thread) if text else []
    return _visible_in_order([hit.thread_id for hit in hits], viewer)


def similar_to_thread(thread: Thread, viewer) -> list[sa.Row]:
    """The thread's stored similar threads the viewer may see, best first (one query).

    Computed when the thread was written and by the refresh job
    (:func:`refresh_all`), never on a view: the lookup costs a few hundred
    milliseconds on a large index (bench/similar.py).

    Rows of what the list shows (``id``, ``title``, ``kind``, ``is_solved``), not
    threads: no entity, reply count, tags or badge is loaded for them, so the page
    costs the same statements whether the list is empty or not.
    """
    stored = similar_threads_table.c
    return list(
        db.session.execute(
            sa.select(
                Thread.id,
                Thread.title,
                Thread.kind,
                Thread.solved_at.is_not(None).label("is_solved"),
            )
            .join(similar_threads_table, stored.similar_id == Thread.id)
            .where(stored.thread_id == thread.id, visible_threads_clause(viewer))
            .order_by(stored.rank)
        )
    )


def refresh_all(progress=None) -> int:
    """Recompute every thread's similar threads; a plain function a job can call.

    Needs an app context. Threads the index does not hold (hidden, withdrawn)
    get an empty list; lists of deleted threads are removed.
    """
    thread_ids = db.session.scalars(sa.select(Thread.id).order_by(Thread.id)).all()
    db.session.rollback()  # no transaction held open while the lists are computed
    # From an index that holds every committed post: a fresh install's index is still
    # being built (a drain starts that), and the outbox may hold the last writes.
    search.drain(db.engine)
    search.engine.join_recovery()
    search.drain(db.engine)
    return search.refresh_similar(db.engine, thread_ids, complete=True, progress=progress)


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
