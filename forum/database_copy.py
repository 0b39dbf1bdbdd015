"""Move an install to an empty PostgreSQL database (``flask db copy-to``).

The source is the app's own database (SQLite, normally), read in one
transaction, so what is copied is one consistent moment. The target is
another app on the PostgreSQL URL, built with the same settings:

1. Refuse unless the source's schema is at the migrations' head, and unless
   every table of the target is empty (``alembic_version`` and the one
   ``content_version`` row the migrations make are not data). Nothing is
   written before both checks pass.
2. Build the target's schema with the Alembic migrations (``flask db upgrade``).
3. Copy every table of ``db.metadata`` in dependency order, in batches, in ONE
   target transaction: a failure leaves the target's tables empty. A column of
   a foreign key pointing forwards (``threads.accepted_post_id`` -> ``posts``,
   the one ``use_alter`` key) is written NULL first and filled in at the end.
   The content-version triggers are told the transaction has bumped already
   (they would do nothing useful row by row); the version is set once, to the
   source's plus one, so no browser's cached page survives the move.
   ``search_outbox`` is not copied: it is pending work for the source's Whoosh
   index, and step 5 rebuilds the target's search from its rows.
4. Reset each table's id sequence to the largest id copied, compare the counts
   per table on both sides (a difference rolls everything back), commit.
5. Rebuild search from the target (``flask search reindex``): the local Whoosh
   index, or the ``search_documents`` table with ``SEARCH_BACKEND=postgresql``.

Uploaded files are not copied: rows name files under ``UPLOADS_DIR``, which the
target app shares (the same folder, or a shared volume for several servers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask import current_app
from sqlalchemy.engine import Connection

from .extensions import db

# Rows the migrations themselves write: not data, and not copied row by row.
SCHEMA_TABLES = frozenset({"alembic_version", "content_version"})
# Work queued for the source's own search index; the target's search is rebuilt.
NOT_COPIED = frozenset({"search_outbox"})
BATCH_SIZE = 1000

Progress = Callable[[str, int], None]


class CopyRefused(Exception):
    """The copy would be wrong or unsafe; nothing was written to the target."""


@dataclass
class CopyReport:
    """Rows per table on each side, and how many posts the search rebuild indexed."""

    source: dict[str, int] = field(default_factory=dict)
    target: dict[str, int] = field(default_factory=dict)
    skipped: tuple[str, ...] = tuple(sorted(NOT_COPIED))
    indexed: int = 0


def copied_tables() -> list[sa.Table]:
    """Every table the copy writes, parents before children."""
    return [table for table in db.metadata.sorted_tables if table.name not in NOT_COPIED]


def copy_to(target_app: Flask, batch_size: int = BATCH_SIZE, progress=None) -> CopyReport:
    """Copy the current app's database into ``target_app``'s (see the module's text).

    Called in the source app's context; raises :class:`CopyRefused` before any write.
    """
    head = _migrations_head(current_app)
    report = CopyReport()
    with db.engine.connect() as source:
        _check_source(source, head)
        with target_app.app_context():
            try:
                _copy_into(db.engine, source, report, batch_size, progress)
            finally:  # the target app ends here: close its connections, refused or not
                db.session.remove()
                db.engine.dispose()
    return report


def _copy_into(target_engine: sa.Engine, source: Connection, report, batch_size, progress):
    if target_engine.dialect.name != "postgresql":
        raise CopyRefused(f"the target must be PostgreSQL, not {target_engine.url!r}")
    if target_engine.url == source.engine.url:
        raise CopyRefused("the target is the database being copied")
    _check_target_is_empty(target_engine)
    from flask_migrate import upgrade

    upgrade()
    with target_engine.begin() as target:
        _copy_rows(source, target, report, batch_size, progress)
    report.indexed = _rebuild_search()


def _migrations_head(app: Flask) -> str:
    config = app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_current_head()


def _check_source(source: Connection, head: str) -> None:
    current = MigrationContext.configure(source).get_current_heads()
    if current != (head,):
        found = ", ".join(current) or "none"
        raise CopyRefused(
            f"the source database is at migration {found}, not {head}: "
            "run `flask db upgrade` on it first"
        )


def _check_target_is_empty(engine: sa.Engine) -> None:
    """Refuse a target holding any row but the migrations' own."""
    with engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        preparer = conn.dialect.identifier_preparer
        filled = [
            name
            for name in sorted(names)
            if name not in SCHEMA_TABLES
            and conn.scalar(sa.text(f"SELECT EXISTS (SELECT 1 FROM {preparer.quote(name)})"))
        ]
    if filled:
        raise CopyRefused(
            "the target database is not empty (rows in: "
            + ", ".join(filled)
            + "); copy only into a new, empty database"
        )


def _count(conn: Connection, table: sa.Table) -> int:
    return conn.scalar(sa.select(sa.func.count()).select_from(table))


def _copy_rows(source: Connection, target: Connection, report, batch_size, progress) -> None:
    # The content-version triggers bump once per transaction; say that has happened.
    target.execute(sa.text("SELECT set_config('serambi.content_version_bumped', 'yes', true)"))
    copied: set[str] = set()
    later: list[tuple[sa.Table, list[sa.Column], list[dict]]] = []
    for table in copied_tables():
        forward = _forward_columns(table, copied)
        report.source[table.name] = _count(source, table)
        if table.name != "content_version":
            later.append((table, forward, _copy_table(source, target, table, forward, batch_size)))
        copied.add(table.name)
        if progress is not None:
            progress(table.name, report.source[table.name])
    for table, forward, pending in later:
        _fill_forward_columns(target, table, forward, pending)
    _set_content_version(source, target)
    _reset_sequences(target)
    for table in copied_tables():
        report.target[table.name] = _count(target, table)
    different = [name for name in report.source if report.source[name] != report.target[name]]
    if different:  # raising here rolls the whole copy back
        raise CopyRefused("the counts differ after copying: " + ", ".join(different))


def _forward_columns(table: sa.Table, copied: set[str]) -> list[sa.Column]:
    """Columns of foreign keys to tables not copied yet (or to ``table`` itself)."""
    forward = []
    for constraint in table.foreign_key_constraints:
        target = constraint.referred_table.name
        if constraint.use_alter or target == table.name or target not in copied:
            forward.extend(constraint.columns)
    for column in forward:
        if not column.nullable:
            raise CopyRefused(f"{table.name}.{column.name} points forwards and may not be NULL")
    return forward


def _copy_table(source, target, table, forward, batch_size) -> list[dict]:
    """Insert every row of ``table``; returns the forward keys still to fill in."""
    keys = [column.key for column in table.columns]
    primary = [column.key for column in table.primary_key.columns]
    forward_keys = [column.key for column in forward]
    pending: list[dict] = []
    result = source.execute(sa.select(table).order_by(*table.primary_key.columns))
    for rows in result.partitions(batch_size):
        batch = [dict(zip(keys, row, strict=True)) for row in rows]
        for row in batch:
            if forward_keys and any(row[key] is not None for key in forward_keys):
                pending.append({key: row[key] for key in (*primary, *forward_keys)})
                row.update(dict.fromkeys(forward_keys))
        try:
            target.execute(table.insert(), batch)
        except sa.exc.DBAPIError as error:
            raise CopyRefused(
                f"{table.name}: PostgreSQL refused a row ({error.orig}); nothing was copied"
            ) from error
    return pending


def _fill_forward_columns(target, table, forward, pending) -> None:
    if not pending:
        return
    where = [column == sa.bindparam(f"old_{column.key}") for column in table.primary_key.columns]
    values = {column.key: sa.bindparam(f"new_{column.key}") for column in forward}
    statement = table.update().where(*where).values(values)
    params = []
    for row in pending:
        param = {f"old_{column.key}": row[column.key] for column in table.primary_key.columns}
        param.update({f"new_{column.key}": row[column.key] for column in forward})
        params.append(param)
    target.execute(statement, params)


def _set_content_version(source: Connection, target: Connection) -> None:
    table = db.metadata.tables["content_version"]
    version = source.scalar(sa.select(table.c.version).where(table.c.id == 1)) or 0
    target.execute(table.update().where(table.c.id == 1).values(version=version + 1))


def _reset_sequences(target: Connection) -> None:
    """Each table's id sequence continues after the largest id copied."""
    for table in copied_tables():
        columns = list(table.primary_key.columns)
        if len(columns) != 1 or not isinstance(columns[0].type, sa.Integer):
            continue
        name, column = table.name, columns[0].name
        target.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence(:table, :column),"
                f' COALESCE(MAX("{column}"), 0) + 1, false) FROM "{name}"'
            ),
            {"table": f'"{name}"', "column": column},
        )


def _rebuild_search() -> int:
    from .search.reindex import rebuild_index

    return rebuild_index()
