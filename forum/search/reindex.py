"""Rebuild and check the search index from one consistent snapshot of the database.

Used by ``flask search reindex|check`` and after a backup is restored.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..database import writing
from ..extensions import db
from ..extensions import search
from ..models import search_outbox
from ..search_documents import all_documents


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
