"""Database wiring: SQLite in WAL mode with IMMEDIATE write transactions.

With several workers, a deferred ``BEGIN`` that reads and then writes fails with
"database is locked" whatever the busy timeout (SQLite cannot upgrade a reader
that another writer overtook). So requests that write (POST and friends) and CLI
writers begin ``IMMEDIATE``, taking the write lock up front and waiting their
turn; GET requests read in deferred transactions and never write.

With ``DATABASE_REPLICA_URL`` set, the pages that only read figures (the dashboard
and its exports) send their SELECTs to a read replica: :func:`read_from_replica`
marks the request, :class:`Session` routes its statements. Writes, and every other
page, stay on ``DATABASE_URL``.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask import g
from flask import has_app_context
from flask import has_request_context
from flask import request
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event
from sqlalchemy.engine import Engine

_writing = contextvars.ContextVar("serambi_writing", default=False)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REPLICA = "serambi_replica"  # DATABASE_REPLICA_URL's engine, in app.extensions


def read_from_replica() -> None:
    """A ``before_request`` hook: this request's SELECTs go to the read replica, if any.

    Only for pages that may show figures a moment old (the replica lags the primary).
    """
    g.read_replica = True


class Session(FlaskSession):
    """``db.session``: SELECTs of a request marked by :func:`read_from_replica` go to
    the replica's engine; flushes and every other statement to the primary."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if (
            bind is None
            and not self._flushing
            and isinstance(clause, sa.Select | sa.CompoundSelect)
            and has_app_context()
            and g.get("read_replica")
        ):
            replica = replica_engine(current_app)
            if replica is not None:
                return replica
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


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


def replica_engine(app) -> Engine | None:
    """The read replica's engine, or None when ``DATABASE_REPLICA_URL`` is not set."""
    return app.extensions.get(REPLICA)


def init_app(app, db) -> None:
    # Not one of Flask-SQLAlchemy's binds: those add a metadata that create_all and the
    # migrations would then expect tables for. The replica has no tables of its own.
    replica = app.config.get("DATABASE_REPLICA_URL")
    if replica:
        options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
        app.extensions[REPLICA] = sa.create_engine(
            database_uri(replica, app.instance_path), **options
        )
    with app.app_context():
        for engine in (db.engine, replica_engine(app)):
            if engine is not None and engine.dialect.name == "sqlite":
                configure_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
