"""One number that changes with anything a visitor's page shows, kept by the database.

Visitors' thread, list and home pages answer a repeat request with ``304 Not
Modified`` when nothing they show has changed (:mod:`forum.conditional`). Rather
than each page listing what it reads (and going stale the day a template shows
one more field), triggers on every table those pages read bump
``content_version.version`` in the writing transaction: ORM, Core and raw SQL
writes alike, on SQLite and PostgreSQL. Coarse (a reply anywhere changes every
page's version) but never stale, and reading it is one primary-key lookup.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from .extensions import db

# Every table a visitor's thread, list or home page reads.
TABLES = (
    "threads",
    "posts",
    "users",
    "libraries",
    "tags",
    "thread_tags",
    "attachments",
    "mentions",
    "meetings",
    "meeting_threads",
    "adoptions",
    "adoption_updates",
    "challenge_practices",
    "practice_verifications",
    "partners",
    "support_requests",
    "support_needs",
    "support_offers",
)
BUMP = "UPDATE content_version SET version = version + 1 WHERE id = 1"
# PostgreSQL: at commit (a deferred constraint trigger), once per transaction. Bumping at
# the statement would take the row's lock in the middle of a transaction, and two writers
# touching a thread and a post in opposite orders would deadlock on it.
PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION bump_content_version() RETURNS trigger AS $$ BEGIN "
    "IF current_setting('serambi.content_version_bumped', true) IS DISTINCT FROM 'yes' THEN "
    f"{BUMP}; PERFORM set_config('serambi.content_version_bumped', 'yes', true); "
    "END IF; RETURN NULL; END; $$ LANGUAGE plpgsql"
)


def pg_trigger(table: str) -> str:
    return (
        f"CREATE CONSTRAINT TRIGGER content_version_{table} AFTER INSERT OR UPDATE OR DELETE "
        f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
        "EXECUTE FUNCTION bump_content_version()"
    )


class ContentVersion(db.Model):
    """The single row (id 1) whose version the triggers bump."""

    __tablename__ = "content_version"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    version: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)


def trigger_statements(dialect: str) -> list[str]:
    """The DDL creating the row and the triggers, for ``sqlite`` or ``postgresql``."""
    statements = ["INSERT INTO content_version (id, version) VALUES (1, 0)"]
    if dialect == "postgresql":
        statements.append(PG_FUNCTION)
        statements += [pg_trigger(table) for table in TABLES]
    else:
        statements += [
            f"CREATE TRIGGER content_version_{table}_{event.lower()} AFTER {event} ON {table} "
            f"BEGIN {BUMP}; END"
            for table in TABLES
            for event in ("INSERT", "UPDATE", "DELETE")
        ]
    return statements


@sa.event.listens_for(db.metadata, "after_create")
def _install(metadata, connection, **kwargs) -> None:
    """``create_all`` (tests, a fresh SQLite file) gets the row and triggers the migration makes."""
    if "content_version" not in {table.name for table in kwargs.get("tables", ())}:
        return  # an existing schema: the row and the triggers are there already
    for statement in trigger_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)


def current() -> int | None:
    """The version now; ``None`` without the row (nothing would bump it: render every time)."""
    return db.session.scalar(sa.select(ContentVersion.version).where(ContentVersion.id == 1))
