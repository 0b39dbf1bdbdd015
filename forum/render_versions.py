"""A post's render version: a number that moves with anything its cached fragment shows.

The thread page keeps each post's rendered HTML in a per-process cache
(:mod:`forum.fragments`) under ``posts.render_version``. Database triggers bump
it in the writing transaction, for ORM, Core and raw SQL writes alike, on SQLite
and PostgreSQL: any change of the post itself (text, hiding, restoring,
withdrawing, approval), of its author's public profile (username, display name,
deletion, library, partner organisation), of their library's or organisation's
name, of the post's attachments, and of its thread's moderation state (lock,
hide, accepted answer, region, verification). A key built on this number cannot
serve yesterday's post: a writer never has to remember to clear a cache.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from .extensions import db

BUMP = "UPDATE posts SET render_version = render_version + 1 WHERE "


@dataclass(frozen=True)
class Rule:
    """Writes to ``table`` bump the posts ``where`` picks (``{row}`` is NEW or OLD).

    ``columns``: an UPDATE counts only when one of them changes (``None``: any change);
    ``moves``: an UPDATE can move the row to another post, whose version moves too.
    """

    table: str
    where: str
    events: tuple[str, ...] = ("UPDATE",)
    columns: tuple[str, ...] | None = None
    moves: bool = False


AUTHOR = "author_id = {row}.id"
RULES = (
    Rule("users", AUTHOR,
         columns=("username", "display_name", "deleted_at", "library_id", "partner_id")),
    Rule("libraries", "author_id IN (SELECT id FROM users WHERE library_id = {row}.id)",
         columns=("name",)),
    Rule("partners", "author_id IN (SELECT id FROM users WHERE partner_id = {row}.id)",
         columns=("name",)),
    Rule("attachments", "id = {row}.post_id", events=("INSERT", "UPDATE", "DELETE"), moves=True),
    Rule("threads", "thread_id = {row}.id",
         columns=("kind", "author_id", "locked", "hidden", "hidden_reason", "withdrawn_at",
                  "waiting", "accepted_post_id", "regency", "province")),
    Rule("practice_verifications", "thread_id = {row}.thread_id",
         events=("INSERT", "UPDATE", "DELETE"), moves=True),
)  # fmt: skip

# The post's own row: any UPDATE that does not set the version itself moves it.
SQLITE_POSTS = (
    "CREATE TRIGGER render_version_posts AFTER UPDATE ON posts "
    "WHEN NEW.render_version IS OLD.render_version "
    f"BEGIN {BUMP}id = NEW.id; END"
)
PG_POSTS = [
    "CREATE OR REPLACE FUNCTION render_version_posts() RETURNS trigger AS $$ BEGIN "
    "IF NEW.render_version IS NOT DISTINCT FROM OLD.render_version THEN "
    "NEW.render_version := OLD.render_version + 1; END IF; RETURN NEW; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER render_version_posts BEFORE UPDATE ON posts FOR EACH ROW "
    "EXECUTE FUNCTION render_version_posts()",
]


def _changed(rule: Rule, distinct: str) -> str:
    return " OR ".join(f"NEW.{c} {distinct} OLD.{c}" for c in rule.columns or ())


def _sqlite(rule: Rule) -> list[str]:
    statements = []
    for event in rule.events:
        update = ("NEW", "OLD") if rule.moves else ("NEW",)
        rows = {"INSERT": ("NEW",), "DELETE": ("OLD",), "UPDATE": update}[event]
        when = f"WHEN {_changed(rule, 'IS NOT')} " if event == "UPDATE" and rule.columns else ""
        bumps = "".join(f"{BUMP}{rule.where.format(row=row)}; " for row in rows)
        statements.append(
            f"CREATE TRIGGER render_version_{rule.table}_{event.lower()} AFTER {event} "
            f"ON {rule.table} FOR EACH ROW {when}BEGIN {bumps}END"
        )
    return statements


def _postgresql(rule: Rule) -> list[str]:
    name = f"render_version_{rule.table}"
    function = (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$ BEGIN "
        f"IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND {str(rule.moves).upper()}) THEN "
        f"{BUMP}{rule.where.format(row='OLD')}; END IF; "
        f"IF TG_OP <> 'DELETE' THEN {BUMP}{rule.where.format(row='NEW')}; END IF; "
        "RETURN NULL; END; $$ LANGUAGE plpgsql"
    )
    if rule.columns:  # an UPDATE-only rule: a WHEN can compare OLD and NEW
        when = f"WHEN ({_changed(rule, 'IS DISTINCT FROM')}) "
    else:
        when = ""
    trigger = (
        f"CREATE TRIGGER {name} AFTER {' OR '.join(rule.events)} ON {rule.table} "
        f"FOR EACH ROW {when}EXECUTE FUNCTION {name}()"
    )
    return [function, trigger]


def trigger_statements(dialect: str) -> list[str]:
    """The DDL of every render-version trigger, for ``sqlite`` or ``postgresql``."""
    if dialect == "postgresql":
        return PG_POSTS + [s for rule in RULES for s in _postgresql(rule)]
    return [SQLITE_POSTS] + [s for rule in RULES for s in _sqlite(rule)]


@sa.event.listens_for(db.metadata, "after_create")
def _install(metadata, connection, **kwargs) -> None:
    """``create_all`` (tests, a fresh SQLite file) gets the triggers the migration makes."""
    created = {table.name for table in kwargs.get("tables", ())}
    if not {"posts", *(rule.table for rule in RULES)} <= created:
        return  # an existing schema: the triggers are there already
    for statement in trigger_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)
