"""background jobs: the jobs table (forum/jobs/)

Revision ID: c9e1a3b5d7f2
Revises: c9e1a3b5d7f0
Create Date: 2026-12-03 14:10:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c9e1a3b5d7f2"
down_revision = "c9e1a3b5d7f0"
branch_labels = None
depends_on = None


def _utc():
    return sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", _utc(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("claimed_by", sa.String(length=120), nullable=True),
        sa.Column("claimed_at", _utc(), nullable=True),
        sa.Column("claimed_until", _utc(), nullable=True),
        sa.Column("finished_at", _utc(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("key", name=op.f("uq_jobs_key")),
    )
    op.create_index("ix_jobs_state_run_after", "jobs", ["state", "run_after"], unique=False)


def downgrade():
    op.drop_index("ix_jobs_state_run_after", table_name="jobs")
    op.drop_table("jobs")
