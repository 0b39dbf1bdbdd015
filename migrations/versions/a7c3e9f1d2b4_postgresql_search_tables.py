"""search on PostgreSQL: document and vocabulary tables (nothing on SQLite)

Revision ID: a7c3e9f1d2b4
Revises: b4d6f8a0c2e4
Create Date: 2026-12-03 10:30:00

The tables of ``SEARCH_BACKEND=postgresql`` (search_index/postgres_backend.py).
They exist on every PostgreSQL database, whichever backend is configured, so
switching backends needs only ``flask search reindex``. SQLite deployments use
the Whoosh index and get nothing here.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7c3e9f1d2b4'
down_revision = 'b4d6f8a0c2e4'
branch_labels = None
depends_on = None

STATEMENTS = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """CREATE TABLE search_documents (
        post_id bigint PRIMARY KEY,
        thread_id bigint NOT NULL,
        is_opening boolean NOT NULL,
        kind text NOT NULL,
        author text NOT NULL,
        region text NOT NULL,
        province text NOT NULL,
        solved boolean NOT NULL,
        lifted boolean NOT NULL,
        verified boolean NOT NULL,
        created timestamptz NOT NULL,
        last_activity timestamptz NOT NULL,
        title_len integer NOT NULL,
        body_len integer NOT NULL,
        extra_len integer NOT NULL,
        tags_len integer NOT NULL,
        tsv tsvector NOT NULL,
        digest text NOT NULL,
        document text NOT NULL)""",
    "CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)",
    "CREATE INDEX ix_search_documents_created ON search_documents (created, post_id)",
    "CREATE INDEX ix_search_documents_thread ON search_documents (thread_id)",
    """CREATE TABLE search_terms (
        term text COLLATE "C" PRIMARY KEY,
        ndoc integer NOT NULL)""",
    "CREATE INDEX ix_search_terms_trgm ON search_terms USING gin (term gin_trgm_ops)",
]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TABLE IF EXISTS search_terms")
    op.execute("DROP TABLE IF EXISTS search_documents")
