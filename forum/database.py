"""Database wiring: SQLite in WAL mode with IMMEDIATE write transactions.

With several workers, a deferred ``BEGIN`` that reads and then writes fails with
"database is locked" whatever the busy timeout (SQLite cannot upgrade a reader
that another writer overtook). So requests that write (POST and friends) and CLI
writers begin ``IMMEDIATE``, taking the write lock up front and waiting their
turn; GET requests read in deferred transactions and never write.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from pathlib import Path

from flask import has_request_context
from flask import request
from sqlalchemy import event
from sqlalchemy.engine import Engine

_writing = contextvars.ContextVar("serambi_writing", default=False)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@contextmanager
def writing():
    """Mark CLI or background work as a writer, so SQLite begins IMMEDIATE."""
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


def wants_write_lock() -> bool:
    if _writing.get():
        return True
    return has_request_context() and request.method in WRITE_METHODS


def database_uri(configured: str | None, instance_path: str) -> str:
    """``DATABASE_URL``, or a SQLite file in the instance folder."""
    if not configured:
        Path(instance_path).mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{Path(instance_path) / 'serambi.sqlite'}"
    if configured.startswith("postgres://"):  # the old Heroku-style scheme
        return "postgresql://" + configured.removeprefix("postgres://")
    return configured


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, a busy timeout, foreign keys, and BEGIN [IMMEDIATE] chosen per request."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event emit BEGIN instead of pysqlite.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # In WAL mode NORMAL loses nothing when a process is killed; only an OS
        # crash or power cut may drop the last transactions.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if wants_write_lock() else "BEGIN")


def init_app(app, db) -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            configure_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
