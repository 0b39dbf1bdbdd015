"""One index directory as an application process uses it.

Searching never raises and never blocks on writers; a missing or damaged index
answers "being rebuilt" while one process (under a file lock) rebuilds it in a
background thread from the documents source. Writes go through the outbox: a
drain after each commit, and a per-process background drainer that retries
with backoff whenever a drain could not finish (lock busy, database busy).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any

import filelock
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Engine
from whoosh.index import LockError
from whoosh.writing import MERGE_SMALL

from . import related
from . import searching
from .documents import SearchDocument
from .documents import SearchHit
from .documents import SearchResults
from .outbox import backlog
from .outbox import drain_batch
from .outbox import install_hooks
from .rebuild import REBUILD_LOCK_TIMEOUT
from .rebuild import Documents
from .rebuild import DriftReport
from .rebuild import Progress
from .rebuild import check
from .rebuild import rebuild
from .schema import SCHEMA_VERSION
from .store import IndexStore
from .store import IndexUnavailable
from .syntax import SearchFilters
from .syntax import make_note

log = logging.getLogger(__name__)

DocumentsSource = Callable[[], tuple[Iterable[SearchDocument], int | None]]

NOTE_REBUILDING = make_note("rebuilding")
NOTE_FAILED = make_note("failed")
MESSAGE_REBUILDING = NOTE_REBUILDING.text
MESSAGE_FAILED = NOTE_FAILED.text
COMMIT_DRAIN_TIMEOUT = 1.0  # seconds a request waits for the index lock after commit
BACKOFF_START = 0.2
BACKOFF_MAX = 2.0
RECOVERY_RETRY = 5.0  # seconds between attempts to start a recovery rebuild
MAX_SEGMENTS = 10  # above this the background drainer merges small segments
BUSY = (filelock.Timeout, LockError)


class SearchEngine:
    """Search, drain, rebuild and check one index directory.

    ``documents_source`` is a zero-argument callable returning
    ``(documents, total)`` for every searchable post; without one, a missing
    index is simply created empty. ``app_context`` (e.g. ``app.app_context``)
    wraps background rebuilds that read the database. ``background=False``
    leaves failed drains pending for the next explicit :meth:`drain`.
    """

    name = "whoosh"

    def __init__(
        self,
        index_dir: str | os.PathLike[str],
        *,
        documents_source: DocumentsSource | None = None,
        app_context: Callable[[], AbstractContextManager[Any]] | None = None,
        background: bool = True,
    ) -> None:
        self.store = IndexStore(index_dir, create=documents_source is None)
        self.documents_source = documents_source
        self.app_context = app_context
        self.background = background
        self.commit_timeout = COMMIT_DRAIN_TIMEOUT
        self._lock = threading.Lock()
        self._drainer: _Drainer | None = None
        self._recovery: threading.Thread | None = None
        self._recovery_tried = 0.0

    # -- reading ---------------------------------------------------------------------

    def search(
        self,
        text: str,
        filters: SearchFilters | None = None,
        page: int = 1,
        per_page: int = 20,
        sort: str = "relevance",
        correct: bool = True,
    ) -> SearchResults:
        """One page of threads matching ``text`` (user syntax) and ``filters``.

        ``correct=False`` searches exactly what was typed (no "did you mean").
        """
        try:
            with self.store.searcher() as searcher:
                return searching.search(searcher, text, filters, page, per_page, sort, correct)
        except IndexUnavailable:
            self._recover()
            return SearchResults(page=page, per_page=per_page, notes=(NOTE_REBUILDING,))
        except Exception:
            log.exception("search: query %r failed", text[:100] if isinstance(text, str) else text)
            self.store.invalidate()  # reopened (or found damaged) on the next search
            return SearchResults(page=page, per_page=per_page, notes=(NOTE_FAILED,))

    def suggest(self, text: str, limit: int = 8) -> list[SearchHit]:
        """Thread titles for search-as-you-type (last word as a prefix)."""
        return self._read(lambda searcher: related.suggest(searcher, text, limit), [])

    def similar(
        self, subject: int | str, limit: int = 5, exclude_thread: int | None = None
    ) -> list[SearchHit]:
        """Threads similar to a thread id or a text."""
        return self._read(
            lambda searcher: related.similar(searcher, subject, limit, exclude_thread), []
        )

    def _read(self, fn: Callable[[Any], Any], default: Any) -> Any:
        try:
            with self.store.searcher() as searcher:
                return fn(searcher)
        except IndexUnavailable:
            self._recover()
        except Exception:
            log.exception("search: read failed")
        return default

    # -- writing ---------------------------------------------------------------------

    def install_hooks(self, session_target: object) -> None:
        """Record search changes in the outbox on flush, drain after commit."""
        install_hooks(session_target, self.after_commit)

    def write_in_transaction(self, connection: Connection, rows: list[dict[str, Any]]) -> bool:
        """Never: the index is a file; rows go to the outbox and are drained after commit."""
        return False

    def after_commit(self, db: Engine) -> None:
        """Drain right after a commit, briefly; what cannot be applied now waits."""
        self.drain(db, timeout=self.commit_timeout)

    def drain(self, db: Engine, timeout: float = 2.0) -> int:
        """Apply every pending outbox row; returns how many were applied. Never raises.

        If the index is busy or anything fails, the rows stay in the outbox and
        the background drainer (if enabled) retries them.
        """
        applied, finished = self._drain_all(db, timeout)
        if not finished:
            self._kick(db)
        elif self.background and self._segments() > MAX_SEGMENTS:
            self._kick(db)  # the drainer merges segments off the request path
        return applied

    def drain_pending(self, db: Engine, timeout: float = BACKOFF_MAX) -> int:
        """Apply every pending outbox row, or raise (index busy or missing, database
        error): the forum's job worker retries it with backoff (forum/search/jobs.py)."""
        applied = 0
        while True:
            result = drain_batch(db, self.store, timeout)
            applied += result.applied
            if not result.more:
                break
        self.maintain()
        return applied

    def pending(self, db: Engine) -> int:
        """Outbox rows waiting to be applied to this index."""
        return backlog(db)

    def _drain_all(self, db: Engine, timeout: float) -> tuple[int, bool]:
        applied = 0
        try:
            while True:
                result = drain_batch(db, self.store, timeout)
                applied += result.applied
                if not result.more:
                    return applied, True
        except BUSY:
            log.debug("search: index busy, outbox rows left pending")
        except IndexUnavailable:
            self._recover()
        except Exception:
            log.warning("search: drain failed, will retry", exc_info=True)
        return applied, False

    def _segments(self) -> int:
        try:
            return self.store.segment_count()
        except Exception:
            return 0

    def maintain(self, timeout: float = 2.0) -> bool:
        """Merge small segments (each drain adds one); True if a merge ran."""
        if self._segments() <= MAX_SEGMENTS:
            return False
        try:
            with self.store.write_lock(timeout):
                self.store.writer(timeout).commit(mergetype=MERGE_SMALL)
            return True
        except BUSY:
            return False

    def optimize(self) -> None:
        """Merge everything into one segment (an explicit command, never a request)."""
        with self.store.write_lock(REBUILD_LOCK_TIMEOUT):
            self.store.writer(REBUILD_LOCK_TIMEOUT).commit(optimize=True)

    def _kick(self, db: Engine) -> None:
        if not self.background:
            return
        with self._lock:
            if self._drainer is None or self._drainer.pid != os.getpid():
                self._drainer = _Drainer(self)  # first use, or first use after a fork
            drainer = self._drainer
        drainer.kick(db)

    # -- rebuilding ------------------------------------------------------------------

    def rebuild(
        self,
        documents: Documents,
        total: int | None = None,
        progress: Progress | None = None,
        procs: int = 1,
    ) -> int:
        """Reindex everything into a new directory and swap it in (see :mod:`.rebuild`)."""
        lock = self.store.rebuild_lock()
        lock.timeout = REBUILD_LOCK_TIMEOUT
        with lock:
            return rebuild(self.store, documents, total, progress, procs=procs)

    def check(
        self,
        documents: Documents,
        repair: bool = False,
        progress: Progress | None = None,
    ) -> DriftReport:
        """Report (and with ``repair`` fix) missing, extra and stale documents."""
        return check(self.store, documents, repair, progress)

    def _recover(self) -> None:
        """Start one background rebuild of a missing or damaged index, at most every few s."""
        if self.documents_source is None:
            return
        with self._lock:
            if self._recovery is not None and self._recovery.is_alive():
                return
            if time.monotonic() - self._recovery_tried < RECOVERY_RETRY:
                return
            self._recovery_tried = time.monotonic()
            self._recovery = threading.Thread(
                target=self._recover_now, name="search-index-recovery", daemon=True
            )
            self._recovery.start()

    def join_recovery(self, timeout: float | None = None) -> None:
        """Wait for a running recovery rebuild (tests and CLI tools)."""
        thread = self._recovery
        if thread is not None:
            thread.join(timeout)

    def _recover_now(self) -> None:
        lock = self.store.rebuild_lock()
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            return  # another process is rebuilding
        try:
            try:
                self.store.index()
                return  # someone fixed it in the meantime
            except IndexUnavailable as error:
                log.warning("search: rebuilding the index (%s)", error)
            context = self.app_context() if self.app_context else contextlib.nullcontext()
            with context:
                assert self.documents_source is not None
                # The source is called under the write lock (see rebuild.Documents).
                count = rebuild(self.store, self.documents_source)
            log.warning("search: index rebuilt with %d documents", count)
        except Exception:
            log.exception("search: recovery rebuild failed")
        finally:
            lock.release()

    # -- facts -----------------------------------------------------------------------

    def status(self, db: Engine | None = None) -> dict[str, Any]:
        """Documents, segments, availability, rebuilding, and the outbox backlog."""
        info: dict[str, Any] = {
            "backend": self.name,
            "index_dir": str(self.store.path),
            "schema_version": SCHEMA_VERSION,
            "available": False,
            "documents": None,
            "segments": None,
        }
        try:
            info["documents"] = self.store.doc_count()
            info["segments"] = self.store.segment_count()
            info["available"] = True
        except IndexUnavailable as error:
            info["error"] = str(error)
        lock = self.store.rebuild_lock()
        try:
            lock.acquire(timeout=0)
            lock.release()
            info["rebuilding"] = False
        except filelock.Timeout:
            info["rebuilding"] = True
        if db is not None:
            info["outbox_backlog"] = backlog(db)
        return info

    def close(self) -> None:
        """Stop the background drainer and release open searchers."""
        with self._lock:
            drainer, self._drainer = self._drainer, None
        if drainer is not None and drainer.pid == os.getpid():
            drainer.stop()
        self.join_recovery()
        self.store.invalidate()


class _Drainer:
    """A daemon thread that retries pending drains with backoff until the outbox is empty."""

    def __init__(self, engine: SearchEngine) -> None:
        self.engine = engine
        self.pid = os.getpid()
        self.dbs: set[Engine] = set()
        self.idle = threading.Event()  # set whenever a retry cycle found the outbox empty
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="search-outbox-drainer", daemon=True)
        self._thread.start()

    def kick(self, db: Engine) -> None:
        self.dbs.add(db)
        self.idle.clear()
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            delay = BACKOFF_START
            while not self._stop.is_set():
                try:
                    finished = all(
                        self.engine._drain_all(db, BACKOFF_MAX)[1] for db in list(self.dbs)
                    )
                    if finished:
                        self.engine.maintain()
                        self.idle.set()
                        break
                except Exception:  # never let the thread die
                    log.exception("search: background drain failed")
                self._stop.wait(delay)
                delay = min(delay * 2, BACKOFF_MAX)
