"""posts: the key a phone's outbox made, unique per author

Revision ID: a7c1e3f5b9d2
Revises: a7c3e9f1d5b2
Create Date: 2026-12-03 10:30:00

A reply or thread written offline is sent with a key made on the phone; a retry
after a lost response finds the post the first try made. Posts written without
one keep NULL, which never collides.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c1e3f5b9d2'
down_revision = "a7c3e9f1d5b2"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases, never batch mode: on SQLite a batch copies the
# table, and the copy would lose the content-version triggers on posts. Hence a unique
# index rather than a table constraint, and DROP COLUMN (SQLite 3.35+) on the way down.


def upgrade():
    op.add_column("posts", sa.Column("client_key", sa.String(length=64), nullable=True))
    op.create_index(
        "uq_posts_author_client_key", "posts", ["author_id", "client_key"], unique=True
    )


def downgrade():
    op.drop_index("uq_posts_author_client_key", table_name="posts")
    op.drop_column("posts", "client_key")
