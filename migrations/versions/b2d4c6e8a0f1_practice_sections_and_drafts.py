"""threads: practice sections and drafts

Revision ID: b2d4c6e8a0f1
Revises: e1f0a5c3b7d2
Create Date: 2026-11-24 18:50:00

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = 'b2d4c6e8a0f1'
down_revision = 'e1f0a5c3b7d2'
branch_labels = None
depends_on = None


SECTION_TEXTS = ("context", "activities", "impact", "resources", "tips", "tried")


def upgrade():
    with op.batch_alter_table("threads", schema=None) as batch_op:
        for name in SECTION_TEXTS:
            batch_op.add_column(sa.Column(name, sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("participants", sa.Integer(), nullable=True))

    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.String(length=30), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["threads.id"], name=op.f("fk_drafts_thread_id_threads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_drafts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drafts")),
        sa.UniqueConstraint("user_id", "slot", name="uq_drafts_user_slot"),
    )
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drafts_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_drafts_user_id"))
    op.drop_table("drafts")

    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.drop_column("participants")
        for name in reversed(SECTION_TEXTS):
            batch_op.drop_column(name)
