"""dashboard: stored figures (per-thread durations, day and month counts, library hours)

Revision ID: c4e6a8d0f2b5
Revises: c4e8a2f6d9b1
Create Date: 2026-12-03 14:10:00

The tables are filled from the existing threads, posts and members here, so the
dashboard shows the same figures right after the upgrade (``flask figures
rebuild`` does the same later). Indexes on posts.created_at and users.created_at
let a write recount just its own day.
"""
from alembic import op
import sqlalchemy as sa

from forum.models import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'c4e6a8d0f2b5'
down_revision = 'c4e8a2f6d9b1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "thread_figures",
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("regency", sa.String(length=60), nullable=True),
        sa.Column("province", sa.String(length=60), nullable=True),
        sa.Column("first_reply_seconds", sa.Float(), nullable=True),
        sa.Column("solve_seconds", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["threads.id"],
            name=op.f("fk_thread_figures_thread_id_threads"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("thread_id", name=op.f("pk_thread_figures")),
    )
    op.create_index(
        "ix_thread_figures_kind_created_at",
        "thread_figures",
        ["kind", "created_at", "regency", "province", "first_reply_seconds", "solve_seconds"],
        unique=False,
    )
    op.create_table(
        "figure_counts",
        sa.Column("zone", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=80), nullable=False),
        sa.Column("metric", sa.String(length=12), nullable=False),
        sa.Column("grain", sa.String(length=1), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("tag_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("parent", sa.String(length=80), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "zone", "region", "metric", "grain", "day", "tag_id", name=op.f("pk_figure_counts")
        ),
    )
    op.create_index(
        "ix_figure_counts_parent",
        "figure_counts",
        ["zone", "parent", "metric", "grain", "day"],
        unique=False,
    )
    op.create_index("ix_figure_counts_day", "figure_counts", ["zone", "grain", "day"], unique=False)
    op.create_table(
        "library_activity",
        sa.Column("library_id", sa.Integer(), nullable=False),
        sa.Column("hour", UTCDateTime(), nullable=False),
        sa.Column("last_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["library_id"], ["libraries.id"],
            name=op.f("fk_library_activity_library_id_libraries"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("library_id", "hour", name=op.f("pk_library_activity")),
    )
    op.create_index("ix_posts_created_at", "posts", ["created_at"], unique=False)
    op.create_index("ix_users_created_at", "users", ["created_at"], unique=False)

    from forum.insight.aggregates import rebuild

    rebuild(op.get_bind())


def downgrade():
    op.drop_index("ix_users_created_at", table_name="users")
    op.drop_index("ix_posts_created_at", table_name="posts")
    op.drop_table("library_activity")
    op.drop_index("ix_figure_counts_day", table_name="figure_counts")
    op.drop_index("ix_figure_counts_parent", table_name="figure_counts")
    op.drop_table("figure_counts")
    op.drop_index("ix_thread_figures_kind_created_at", table_name="thread_figures")
    op.drop_table("thread_figures")
