"""Similar threads, computed when a thread is written and kept in ``similar_threads``.

The more-like-this lookup costs a few hundred milliseconds on a large index
(bench/similar.py), so a thread page never makes it: it reads the stored ids.
A thread's list is computed after a commit that wrote its opening post's
document (a new thread, an edit, a change of title or tags), in a per-process
background thread (inline when ``background`` is off, as in tests), and every
list is recomputed by :func:`refresh`, which a scheduled job calls: an older
thread's list learns about newer threads only then. Who may see a suggested
thread is decided when the page is shown, never here.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from collections.abc import Iterable
from contextlib import AbstractContextManager
from contextlib import nullcontext
from datetime import UTC
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

TABLE_NAME = "similar_threads"
SIMILAR_LIMIT = 5  # suggestions kept per thread
BATCH = 100  # threads computed between two writes of the table
RETRIES = 4  # tries of a background write the database was too busy for (1, 2, 4 s apart)

similar_table = sa.table(
    TABLE_NAME,
    sa.column("thread_id", sa.Integer),
    sa.column("rank", sa.Integer),
    sa.column("similar_id", sa.Integer),
    sa.column("computed_at", sa.DateTime(timezone=True)),
)

Similar = Callable[[int], list[int]]  # a thread id -> similar thread ids, best first


def define_similar_table(metadata: sa.MetaData) -> sa.Table:
    """Declare ``similar_threads`` on the forum's metadata (so its migration creates it)."""
    return sa.Table(
        TABLE_NAME,
        metadata,
        sa.Column("thread_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("rank", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("similar_id", sa.Integer, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    )


def store(db: Engine, lists: dict[int, list[int]]) -> None:
    """Replace the stored lists of these threads (an empty list removes the thread's)."""
    if not lists:
        return
    now = datetime.now(UTC)
    rows = [
        {"thread_id": thread_id, "rank": rank, "similar_id": similar_id, "computed_at": now}
        for thread_id, ids in lists.items()
        for rank, similar_id in enumerate(ids)
    ]
    with db.begin() as connection:  # short: SQLite holds its write lock only here
        connection.execute(
            sa.delete(similar_table).where(similar_table.c.thread_id.in_(list(lists)))
        )
        if rows:
            connection.execute(sa.insert(similar_table), rows)


def refresh(
    similar: Similar,
    db: Engine,
    thread_ids: Iterable[int],
    *,
    complete: bool = False,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Compute and store the lists of ``thread_ids``; returns how many threads were done.

    ``complete``: these are all the threads there are, so lists of any other
    thread (deleted since) are removed too.
    """
    wanted = list(thread_ids)
    done = 0
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        store(db, {thread_id: similar(thread_id) for thread_id in chunk})
        done += len(chunk)
        if progress is not None:
            progress(done)
    if complete:
        with db.begin() as connection:
            kept = set(wanted)
            stored = connection.execute(sa.select(similar_table.c.thread_id).distinct()).scalars()
            gone = [thread_id for thread_id in stored if thread_id not in kept]
            for start in range(0, len(gone), 500):
                connection.execute(
                    sa.delete(similar_table).where(
                        similar_table.c.thread_id.in_(gone[start : start + 500])
                    )
                )
    return done


class Refresher:
    """Computes the lists of freshly written threads off the request path, per process.

    ``background=False`` computes them at once (tests, and anything that wants
    the answer before it goes on). A process that dies with threads queued
    leaves their lists to the next :func:`refresh` job.
    """

    def __init__(
        self,
        similar: Similar,
        *,
        background: bool,
        app_context: Callable[[], AbstractContextManager[Any]] | None = None,
    ) -> None:
        self.similar = similar
        self.background = background
        self.app_context = app_context or nullcontext
        self._lock = threading.Lock()
        self._queue: queue.Queue[tuple[Engine, set[int]]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def add(self, db: Engine, thread_ids: set[int]) -> None:
        if not thread_ids:
            return
        if not self.background:
            self._compute(db, thread_ids)
            return
        with self._lock:
            if self._thread is None or self._pid != os.getpid():  # first use, or after a fork
                self._queue = queue.Queue()
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, name="similar-threads", daemon=True
                )
                self._thread.start()
            self._queue.put((db, set(thread_ids)))

    def join(self) -> None:
        """Wait until every queued thread is computed (tests and tools)."""
        if self._thread is not None and self._pid == os.getpid():
            self._queue.join()

    def _run(self) -> None:
        while True:
            db, thread_ids = self._queue.get()
            try:
                for attempt in range(RETRIES):
                    try:
                        with self.app_context():
                            self._compute(db, thread_ids)
                        break
                    except sa.exc.OperationalError:  # SQLite busy with a long write: later
                        if attempt == RETRIES - 1:
                            raise
                        time.sleep(2**attempt)
            except Exception:  # never let the thread die; the job catches up
                log.exception("search: similar threads not computed for %s", sorted(thread_ids))
            finally:
                self._queue.task_done()

    def _compute(self, db: Engine, thread_ids: set[int]) -> None:
        store(db, {thread_id: self.similar(thread_id) for thread_id in sorted(thread_ids)})
