"""content version: one row bumped by triggers on the tables visitors' pages read

Revision ID: f5a7c9e1b3d4
Revises: e7a9c1d3f5b6
Create Date: 2026-12-03 08:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f5a7c9e1b3d4'
down_revision = 'e7a9c1d3f5b6'
branch_labels = None
depends_on = None

# As forum/content_version.py had them when this revision was written.
TABLES = (
    "threads", "posts", "users", "libraries", "tags", "thread_tags", "attachments",
    "mentions", "meetings", "meeting_threads",
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


def upgrade():
    op.create_table(
        "content_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_version")),
    )
    op.execute("INSERT INTO content_version (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table in TABLES:
            op.execute(pg_trigger(table))
    else:
        for table in TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER content_version_{table}_{event.lower()} AFTER {event} "
                    f"ON {table} BEGIN {BUMP}; END"
                )


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgresql:
            op.execute(f"DROP TRIGGER IF EXISTS content_version_{table} ON {table}")
        else:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS content_version_{table}_{event}")
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS bump_content_version()")
    op.drop_table("content_version")
