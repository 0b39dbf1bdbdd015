"""engagement: digest claims, so a digest is sent once however many servers run it

Revision ID: c4e8a2f6d9b1
Revises: c4e9a1f7b2d5
Create Date: 2026-12-03 14:05:00

One row per member and digest period, inserted before the mail is sent (issue 25).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c4e8a2f6d9b1"
down_revision = "c4e9a1f7b2d5"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "digest_claims",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_digest_claims_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "period_start", name=op.f("pk_digest_claims")),
    )


def downgrade():
    op.drop_table("digest_claims")
