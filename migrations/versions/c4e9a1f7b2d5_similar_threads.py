"""similar_threads: each thread's similar threads, stored when it is written

Revision ID: c4e9a1f7b2d5
Revises: c9e1a3b5d7f2
Create Date: 2026-12-03 14:10:00

Empty at first: run `flask search similar --refresh` once after upgrading (and nightly).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e9a1f7b2d5'
down_revision = 'c9e1a3b5d7f2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "similar_threads",
        sa.Column("thread_id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("rank", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("similar_id", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("thread_id", "rank", name=op.f("pk_similar_threads")),
    )


def downgrade():
    op.drop_table("similar_threads")
