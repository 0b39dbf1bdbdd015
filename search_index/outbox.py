"""Durable pending index work: written in the database transaction, drained after commit.

Why an outbox: the index is a file, the database is the truth. Writing the
index during the request would index rolled-back changes; writing it after
commit would lose the change if the process dies or the Whoosh lock is busy.
So a flush records what changed in ``search_outbox`` on the same transaction
(rolled back with it), and :func:`drain` applies committed rows to Whoosh.

Ordering without lost updates: :func:`drain` takes the index write lock first
and only then reads the rows, oldest first, applies them, commits the index,
and deletes exactly the rows it applied before letting go. A slower process
therefore never re-applies an older version over a newer one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .documents import SearchDocument
from .schema import KEY
from .schema import document_fields
from .schema import document_from_json
from .schema import document_to_json
from .store import IndexStore

log = logging.getLogger(__name__)

TABLE_NAME = "search_outbox"
UPSERT = "upsert"
DELETE = "delete"
PENDING = "search_index.pending"  # session.info key: the engine with rows to drain
OPENINGS = "search_index.openings"  # session.info key: threads whose opening post was written
BATCH_SIZE = 500

# A table *clause* (no MetaData): the drain works on any engine, whoever owns the schema.
outbox = sa.table(
    TABLE_NAME,
    sa.column("id", sa.Integer),
    sa.column("op", sa.String),
    sa.column("doc_key", sa.String),
    sa.column("payload", sa.Text),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


class Searchable(Protocol):
    """What a mapped row offers the hooks: its documents, or keys (str) to delete."""

    def search_changes(self) -> Iterable[SearchDocument | str]: ...


def define_table(metadata: sa.MetaData) -> sa.Table:
    """Declare ``search_outbox`` on the forum's metadata (so its migration creates it)."""
    return sa.Table(
        TABLE_NAME,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("op", sa.String(10), nullable=False),
        sa.Column("doc_key", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def collect_rows(session: Session, openings: set[int] | None = None) -> list[dict[str, Any]]:
    """Outbox rows for what this flush changes, one per document key.

    Deletes win over upserts within a flush: a post being deleted may still be
    listed by its thread's documents until the flush is over. ``openings``, if
    given, receives the threads whose opening post's document is written for its
    own sake: not when a row that says ``search_names_only`` (a renamed member)
    re-sends it, since names change no thread's similar threads.
    """
    upserts: dict[str, SearchDocument] = {}
    deletes: set[str] = set()
    own: set[str] = set()  # keys written by a row that is not names-only
    with session.no_autoflush:
        for obj in [*session.new, *session.dirty]:
            # No is_modified() filter: it is False when the only change is a
            # column set to a SQL expression (expired by the flush). The row's
            # search_changes() decides what its changes mean for the index.
            method = getattr(obj, "search_changes", None)
            if method is None:
                continue
            names_only = getattr(obj, "search_names_only", False)
            for change in method() or ():
                if isinstance(change, str):
                    deletes.add(change)
                else:
                    upserts[change.key] = change
                    if not names_only:
                        own.add(change.key)
        for obj in session.deleted:
            method = getattr(obj, "search_changes", None)
            if method is None:
                continue
            for change in method() or ():
                deletes.add(change if isinstance(change, str) else change.key)
    if openings is not None:
        openings.update(
            doc.thread_id
            for key, doc in upserts.items()
            if doc.is_opening and key in own and key not in deletes
        )
    now = datetime.now(UTC)
    rows = [
        {"op": UPSERT, "doc_key": key, "payload": document_to_json(doc), "created_at": now}
        for key, doc in upserts.items()
        if key not in deletes
    ]
    rows += [
        {"op": DELETE, "doc_key": key, "payload": None, "created_at": now}
        for key in sorted(deletes)
    ]
    return rows


_installed: dict[int, tuple[object, list[tuple[str, Callable[..., None]]]]] = {}


InTransaction = Callable[[Connection, list[dict[str, Any]]], bool]


def install_hooks(
    session_target: object,
    on_commit: Callable[[Engine], None],
    in_transaction: InTransaction | None = None,
    on_openings: Callable[[Engine, set[int]], None] | None = None,
) -> None:
    """Listen on ``session_target`` (a Session class, sessionmaker or scoped_session).

    ``after_flush`` (not ``before_commit``, which misses rows an autoflush
    already flushed) writes the outbox rows on the flush's own connection
    (or, when ``in_transaction(connection, rows)`` returns True, the backend
    has applied them there itself);
    ``after_commit`` calls ``on_commit(engine)``, which must not raise. Calling
    this again for the same target replaces the earlier hooks. After the
    commit, ``on_openings(engine, thread_ids)`` hears which threads' opening
    posts were written (their similar threads are due), whichever backend.
    """

    def after_flush(session: Session, flush_context: object) -> None:
        threads: set[int] = set()
        rows = collect_rows(session, threads)
        if rows:
            connection = session.connection()
            if on_openings is not None and threads:
                engine, known = session.info.get(OPENINGS, (connection.engine, set()))
                session.info[OPENINGS] = (engine, known | threads)
            if in_transaction is not None and in_transaction(connection, rows):
                return  # the backend wrote them in this transaction (PostgreSQL search)
            connection.execute(outbox.insert(), rows)
            session.info[PENDING] = connection.engine

    def after_commit(session: Session) -> None:
        if session.in_nested_transaction():  # a savepoint: nothing is committed yet
            return
        engine = session.info.pop(PENDING, None)
        openings = session.info.pop(OPENINGS, None)
        if engine is not None:
            try:
                on_commit(engine)
            except Exception:  # the commit happened; indexing catches up later
                log.exception("search: draining after commit failed")
        if openings is not None and on_openings is not None:
            try:
                on_openings(*openings)
            except Exception:  # the commit happened; the refresh job catches up
                log.exception("search: similar threads after commit failed")

    def after_rollback(session: Session) -> None:
        if not session.in_transaction():  # a savepoint rollback keeps the outer rows
            session.info.pop(PENDING, None)
            session.info.pop(OPENINGS, None)

    previous = _installed.pop(id(session_target), None)
    if previous is not None:
        for name, fn in previous[1]:
            event.remove(session_target, name, fn)
    listeners: list[tuple[str, Callable[..., None]]] = [
        ("after_flush", after_flush),
        ("after_commit", after_commit),
        ("after_rollback", after_rollback),
    ]
    for name, fn in listeners:
        event.listen(session_target, name, fn)
    _installed[id(session_target)] = (session_target, listeners)


@dataclass
class Drained:
    """What one locked pass did."""

    applied: int  # rows applied and deleted
    more: bool  # a full batch: there may be more rows


def drain_batch(db: Engine, store: IndexStore, timeout: float, batch: int = BATCH_SIZE) -> Drained:
    """Apply up to ``batch`` outbox rows to the index; raises if the index is busy.

    Raises ``filelock.Timeout`` / ``whoosh.index.LockError`` when another
    process holds the index, :class:`IndexUnavailable` when it is missing, and
    database errors as they come: the caller decides whether to retry.
    """
    with store.write_lock(timeout):
        writer = store.writer(timeout)
        try:
            # Read only now, under the lock: rows committed after this read wait
            # for the next pass instead of racing an older version.
            with db.connect() as connection:
                rows = connection.execute(
                    sa.select(outbox.c.id, outbox.c.op, outbox.c.doc_key, outbox.c.payload)
                    .order_by(outbox.c.id)
                    .limit(batch)
                ).all()
            if not rows:
                writer.cancel()
                return Drained(0, False)
            # One write per key: Whoosh cannot delete a document added by the same writer.
            last: dict[str, Any] = {}
            for row in rows:
                last.pop(row.doc_key, None)
                last[row.doc_key] = row
            indexed = _indexed_keys(store, list(last))
            for row in last.values():
                if row.op == UPSERT and row.payload:
                    try:
                        fields = document_fields(document_from_json(row.payload))
                    except (ValueError, TypeError, KeyError):
                        # A row we cannot read must not block every later one:
                        # drop it; `flask search check --repair` fixes the drift.
                        log.error("search: unreadable outbox row %s for %s", row.id, row.doc_key)
                        continue
                    if row.doc_key in indexed:
                        writer.update_document(**fields)
                    else:  # a new post: no need to open a reader to delete it first
                        writer.add_document(**fields)
                elif row.doc_key in indexed:
                    writer.delete_by_term(KEY, row.doc_key)
            writer.commit(merge=False)  # merging is for the background, not the request
        except BaseException:
            if not writer.is_closed:
                writer.cancel()
            raise
        ids = [row.id for row in rows]
        # A short transaction of its own: SQLite takes the write lock only here.
        with db.begin() as connection:
            connection.execute(sa.delete(outbox).where(outbox.c.id.in_(ids)))
    return Drained(len(rows), len(rows) == batch)


def _indexed_keys(store: IndexStore, keys: list[str]) -> set[str]:
    """Which of ``keys`` the index holds now (we hold the write lock: it cannot change)."""
    with store.searcher() as searcher:
        reader = searcher.reader()
        return {key for key in keys if reader.doc_frequency(KEY, key)}


def backlog(db: Engine) -> int:
    """How many outbox rows wait to be applied."""
    with db.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(outbox)).scalar_one())
