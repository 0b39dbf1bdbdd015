"""Serambi's search: an Indonesian analyzer over Whoosh or PostgreSQL. Never imports ``forum``.

The forum uses one :class:`SearchIndex` (a Flask extension)::

    search_index = SearchIndex()
    search_index.init_app(app, documents_source=all_search_documents)
    search_index.install_hooks(db.session)        # outbox rows on flush, drain on commit
    outbox_table = define_table(db.metadata)      # so Alembic creates search_outbox

Mapped rows that appear in search define ``search_changes()`` returning
:class:`SearchDocument` values to (re)index and ``str`` keys
(:func:`document_key`) to remove; a deleted row's results are all removed.

Modules, in the order a search passes through them:

- ``syntax``: what a member typed -> a small syntax tree and filters, with caps
  and notes (never raises);
- ``query_builder``: the syntax tree -> Whoosh queries (stems, synonyms, fields);
- ``whoosh_queries``: Whoosh query classes we add or fix (``Any``, ``Restrict``,
  ``Exclude``, ``DocSet``);
- ``docsets`` and ``scoring``: every matching post by set operations, then scores
  for the posts that can reach the page;
- ``searching``: threads ranked by their best post, a page of hits, the entry point;
- ``spelling``: did you mean; ``highlight``: escaped titles and snippets;
- ``related``: search-as-you-type and similar threads;
- ``backend``: the interface both backends offer, chosen by ``SEARCH_BACKEND``;
  ``postgres_backend``, ``pg_documents``, ``pg_query``: the same search on
  PostgreSQL full-text search (documents written in the post's transaction);
- ``analysis``, ``schema``, ``documents``: words, fields, and the values that
  cross the boundary; ``store``, ``outbox``, ``rebuild``, ``engine``: the index
  on disk, pending writes, rebuilds, and one process's view of it all.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

from flask import Flask
from flask import current_app
from flask import has_app_context
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Engine

from .backend import POSTGRESQL
from .backend import SearchBackend
from .backend import backend_name
from .documents import SearchDocument
from .documents import SearchHit
from .documents import SearchNote
from .documents import SearchResults
from .documents import document_key
from .engine import DocumentsSource
from .engine import SearchEngine
from .outbox import define_table
from .outbox import install_hooks as _install_hooks
from .postgres_backend import PostgresEngine
from .rebuild import Documents
from .rebuild import DriftReport
from .rebuild import Progress
from .similar_store import SIMILAR_LIMIT
from .similar_store import Refresher
from .similar_store import define_similar_table
from .similar_store import refresh as refresh_similar
from .similar_store import similar_table
from .store import open_or_create
from .syntax import SearchFilters

EXTENSION = "search_index"
REFRESHER = "search_index.similar"

__all__ = [
    "DriftReport",
    "PostgresEngine",
    "SearchBackend",
    "SearchDocument",
    "SearchEngine",
    "SearchFilters",
    "SearchHit",
    "SearchIndex",
    "SearchNote",
    "SearchResults",
    "define_similar_table",
    "define_table",
    "document_key",
    "open_or_create",
    "similar_table",
]


class SearchIndex:
    """The Flask extension: one :class:`SearchEngine` per app, in ``app.extensions``.

    Config: ``SEARCH_BACKEND`` (``whoosh``, the default, or ``postgresql``: see
    :mod:`.backend`), and for Whoosh ``SEARCH_INDEX_DIR`` (default
    ``<instance>/search_index``) and ``SEARCH_BACKGROUND_DRAIN`` (default True).
    Nothing is opened or rebuilt in ``init_app``: the index is opened on first
    use, and a missing one is rebuilt in the background from ``documents_source``.
    """

    def __init__(self, app: Flask | None = None, documents_source: DocumentsSource | None = None):
        self._last: SearchBackend | None = None
        if app is not None:
            self.init_app(app, documents_source)

    def init_app(
        self,
        app: Flask,
        documents_source: DocumentsSource | None = None,
        database: Callable[[], Engine] | None = None,
    ) -> None:
        """``database`` returns the forum's SQLAlchemy engine (the PostgreSQL backend's home)."""
        name = backend_name(app.config.get("SEARCH_BACKEND"))
        engine: SearchBackend
        if name == POSTGRESQL:
            if database is None:
                raise ValueError("SEARCH_BACKEND=postgresql needs the database (init_app)")
            engine = PostgresEngine(database)
        else:
            index_dir = app.config.get("SEARCH_INDEX_DIR") or os.path.join(
                app.instance_path, "search_index"
            )
            engine = SearchEngine(
                index_dir,
                documents_source=documents_source,
                app_context=app.app_context,
                background=app.config.get("SEARCH_BACKGROUND_DRAIN", True),
            )
        app.extensions[EXTENSION] = engine
        app.extensions[REFRESHER] = Refresher(
            self._similar_ids_of(engine),
            background=app.config.get("SEARCH_BACKGROUND_DRAIN", True),
            app_context=app.app_context,
        )
        self._last = engine

    @staticmethod
    def _similar_ids_of(engine: SearchBackend) -> Callable[[int], list[int]]:
        def similar_ids(thread_id: int) -> list[int]:
            return [hit.thread_id for hit in engine.similar(thread_id, limit=SIMILAR_LIMIT)]

        return similar_ids

    @property
    def engine(self) -> SearchBackend:
        """The current app's engine (the backend ``SEARCH_BACKEND`` chose)."""
        return current_app.extensions[EXTENSION]

    def install_hooks(self, session_target: object, table: object = None) -> None:
        """On flush: write the documents (PostgreSQL) or outbox rows (Whoosh, drained
        after commit). ``table`` is not needed."""
        _install_hooks(
            session_target, self._after_commit, self._in_transaction, self._after_openings
        )

    def _current(self) -> SearchBackend | None:
        return current_app.extensions.get(EXTENSION) if has_app_context() else self._last

    def _in_transaction(self, connection: Connection, rows: list[dict[str, Any]]) -> bool:
        engine = self._current()
        return engine is not None and engine.write_in_transaction(connection, rows)

    def _after_commit(self, db: Engine) -> None:
        engine = self._current()
        if engine is not None:
            engine.after_commit(db)

    def _after_openings(self, db: Engine, thread_ids: set[int]) -> None:
        """Threads whose opening post was committed: their similar threads, off the request."""
        if has_app_context():
            current_app.extensions[REFRESHER].add(db, thread_ids)

    def refresh_similar(
        self,
        db: Engine,
        thread_ids: Iterable[int],
        *,
        complete: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Recompute and store the similar threads of ``thread_ids`` (the job's work)."""
        similar_ids = self._similar_ids_of(self.engine)
        return refresh_similar(similar_ids, db, thread_ids, complete=complete, progress=progress)

    def join_similar(self) -> None:
        """Wait for this process's queued similar-thread lists (tests and tools)."""
        current_app.extensions[REFRESHER].join()

    def search(
        self,
        query: str,
        filters: SearchFilters | None = None,
        page: int = 1,
        per_page: int = 20,
        sort: str = "relevance",
        correct: bool = True,
    ) -> SearchResults:
        return self.engine.search(query, filters, page, per_page, sort, correct)

    def suggest(self, query: str, limit: int = 8) -> list[SearchHit]:
        return self.engine.suggest(query, limit)

    def similar(
        self, subject: int | str, limit: int = 5, exclude_thread: int | None = None
    ) -> list[SearchHit]:
        return self.engine.similar(subject, limit, exclude_thread)

    def drain(self, db: Engine, timeout: float = 2.0) -> int:
        return self.engine.drain(db, timeout)

    def rebuild(
        self,
        documents: Documents,
        total: int | None = None,
        progress: Progress | None = None,
        procs: int = 1,
    ) -> int:
        return self.engine.rebuild(documents, total, progress, procs)

    def check(
        self,
        documents: Documents,
        repair: bool = False,
        progress: Progress | None = None,
    ) -> DriftReport:
        return self.engine.check(documents, repair, progress)

    def status(self, db: Engine | None = None) -> dict[str, Any]:
        return self.engine.status(db)
