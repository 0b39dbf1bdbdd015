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


# A unique index rather than a table constraint: on SQLite a constraint would mean
# copying the table, and the copy would lose the content-version triggers on posts.


def upgrade():
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_key", sa.String(length=64), nullable=True))
    op.create_index(
        "uq_posts_author_client_key", "posts", ["author_id", "client_key"], unique=True
    )


def downgrade():
    op.drop_index("uq_posts_author_client_key", table_name="posts")
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("client_key")
