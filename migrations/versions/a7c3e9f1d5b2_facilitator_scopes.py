"""regions: the regions each facilitator looks after

Revision ID: a7c3e9f1d5b2
Revises: a3c5e7f9b1d2
Create Date: 2026-12-03 10:30:00

Every facilitator there was before this revision looked after the whole
country, so each one is given ``nasional``: nothing they could do is lost.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9f1d5b2'
down_revision = "a3c5e7f9b1d2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "facilitator_scopes",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_facilitator_scopes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "region", name=op.f("pk_facilitator_scopes")),
    )
    op.execute(
        "INSERT INTO facilitator_scopes (user_id, region) "
        "SELECT id, 'nasional' FROM users WHERE role = 'facilitator'"
    )


def downgrade():
    op.drop_table("facilitator_scopes")
