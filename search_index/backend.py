"""What the forum needs from a search backend, and choosing one by configuration.

Two backends answer the same calls with the same results: ``whoosh``
(:class:`.engine.SearchEngine`, an index directory on one server's disk, fed
through the outbox after each commit) and ``postgresql``
(:class:`.postgres_backend.PostgresEngine`, tables in the forum's own
PostgreSQL database, written in the post's own transaction, so every web
server sees a post the moment it is committed). ``SEARCH_BACKEND`` chooses.
"""

from __future__ import annotations

from typing import Any
from typing import Protocol

from sqlalchemy.engine import Connection
from sqlalchemy.engine import Engine

from .documents import SearchHit
from .documents import SearchResults
from .rebuild import Documents
from .rebuild import DriftReport
from .rebuild import Progress
from .syntax import SearchFilters

WHOOSH = "whoosh"
POSTGRESQL = "postgresql"
BACKENDS = (WHOOSH, POSTGRESQL)


class SearchBackend(Protocol):
    """One search backend as the Flask extension and the CLI use it."""

    name: str

    def search(
        self,
        text: str,
        filters: SearchFilters | None = None,
        page: int = 1,
        per_page: int = 20,
        sort: str = "relevance",
        correct: bool = True,
    ) -> SearchResults: ...

    def suggest(self, text: str, limit: int = 8) -> list[SearchHit]: ...

    def similar(
        self, subject: int | str, limit: int = 5, exclude_thread: int | None = None
    ) -> list[SearchHit]: ...

    def write_in_transaction(self, connection: Connection, rows: list[dict[str, Any]]) -> bool:
        """Apply a flush's changes on its own connection; False: leave them to the outbox."""
        ...

    def after_commit(self, db: Engine) -> None: ...

    def drain(self, db: Engine, timeout: float = 2.0) -> int: ...

    def drain_pending(self, db: Engine, timeout: float = 2.0) -> int:
        """Like ``drain``, but raises when it cannot finish (a job retries it)."""
        ...

    def pending(self, db: Engine) -> int:
        """Changes written but not yet searchable (the outbox backlog; 0 on PostgreSQL)."""
        ...

    def rebuild(
        self,
        documents: Documents,
        total: int | None = None,
        progress: Progress | None = None,
        procs: int = 1,
    ) -> int: ...

    def check(
        self, documents: Documents, repair: bool = False, progress: Progress | None = None
    ) -> DriftReport: ...

    def status(self, db: Engine | None = None) -> dict[str, Any]: ...

    def optimize(self) -> None: ...

    def close(self) -> None: ...


def backend_name(value: object) -> str:
    """The configured backend's name; anything else is a configuration error."""
    name = str(value or WHOOSH).strip().lower()
    if name not in BACKENDS:
        raise ValueError(f"SEARCH_BACKEND must be one of {', '.join(BACKENDS)}, not {value!r}")
    return name
