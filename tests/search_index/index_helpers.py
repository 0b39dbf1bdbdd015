"""Helpers shared by the search-engine tests (and the worker processes they spawn).

The forum's models are not used here (``search_index`` never imports ``forum``):
``Item`` is a tiny mapped row with the same ``search_changes()`` protocol, on a
SQLite file in WAL mode like the forum's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from search_index import SearchDocument
from search_index import SearchEngine
from search_index import define_table
from search_index import document_key

T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


def make_doc(post_id: int, thread_id: int | None = None, **fields: object) -> SearchDocument:
    """A document with sensible defaults; ``thread_id`` defaults to the post id (an opening)."""
    thread_id = post_id if thread_id is None else thread_id
    values: dict[str, object] = {
        "post_id": post_id,
        "thread_id": thread_id,
        "is_opening": post_id == thread_id,
        "kind": "practice",
        "title": f"Topik {thread_id}",
        "body": "",
        "author": "sari",
        "author_name": "Sari Wulandari",
        "created": T0 + timedelta(hours=post_id),
        "last_activity": T0 + timedelta(hours=post_id),
    }
    values.update(fields)
    return SearchDocument(**values)  # type: ignore[arg-type]


class Base(DeclarativeBase):
    pass


class Item(Base):
    """A post-like row that says what it looks like to search."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    hidden: Mapped[bool] = mapped_column(default=False)

    def search_changes(self) -> Iterable[SearchDocument | str]:
        if self.hidden:
            return [document_key(self.id)]
        return [item_document(self)]


def item_document(item: Item) -> SearchDocument:
    thread_id = item.thread_id or item.id
    return make_doc(item.id, thread_id, title=item.title, body=item.body)


OUTBOX = define_table(Base.metadata)


def sqlite_engine(path: Path) -> sa.Engine:
    """A SQLite file in WAL mode with a busy timeout, as the forum configures it."""
    db = sa.create_engine(f"sqlite:///{path}")

    @event.listens_for(db, "connect")
    def _pragmas(dbapi_connection, _record):  # noqa: ANN001
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()

    return db


def outbox_rows(db: sa.Engine) -> list[sa.Row]:
    with db.connect() as connection:
        return list(connection.execute(sa.select(OUTBOX).order_by(OUTBOX.c.id)))


def indexed_keys(engine: SearchEngine) -> set[str]:
    from search_index.rebuild import indexed_digests

    return set(indexed_digests(engine.store))


def concurrent_writer(db_path: str, index_dir: str, worker: int, count: int) -> None:
    """One worker process: insert, edit and hide rows, committing each (drains on commit).

    Exits non-zero if anything went wrong, including a drain failure that was
    only logged (a LockError must never surface, not even in the log).
    """
    import logging

    from sqlalchemy.orm import sessionmaker

    problems: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            problems.append(record)

    logging.getLogger("search_index").addHandler(Collect(level=logging.WARNING))
    db = sqlite_engine(Path(db_path))
    search = SearchEngine(index_dir, background=False)
    search.commit_timeout = 0.5
    factory = sessionmaker(db, expire_on_commit=False)
    search.install_hooks(factory)
    base = worker * 1000
    for i in range(count):
        with factory() as session:
            session.add(Item(id=base + i, title=f"Pekerja {worker}", body=f"buku nomor {i}"))
            session.commit()
            if i % 3 == 2:
                earlier = session.get(Item, base + i - 1)
                assert earlier is not None
                earlier.body = f"buku diubah {i}"
                session.commit()
            if i % 5 == 4:
                hidden = session.get(Item, base + i - 2)
                assert hidden is not None
                hidden.hidden = True
                session.commit()
    search.close()
    db.dispose()
    if problems:
        raise SystemExit("; ".join(record.getMessage() for record in problems))
