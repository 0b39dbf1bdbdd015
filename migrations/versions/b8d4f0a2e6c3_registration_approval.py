"""regions: new members vouched for (REGISTRATION_APPROVAL)

Revision ID: b8d4f0a2e6c3
Revises: a7c3e9f1d2b4
Create Date: 2026-12-03 10:50:00

Members and posts from before this revision are approved and published. Only columns are
added: on SQLite a rebuilt users table would cascade-delete facilitator_scopes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d4f0a2e6c3'
down_revision = 'a7c3e9f1d2b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approval", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("approval_reason", sa.String(length=500), nullable=True))
        batch_op.create_index(batch_op.f("ix_users_approval"), ["approval"], unique=False)
    for table in ("threads", "posts"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("waiting", sa.Boolean(), server_default=sa.false(), nullable=False)
            )


def downgrade():
    for table in ("posts", "threads"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("waiting")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_approval"))
        batch_op.drop_column("approval_reason")
        batch_op.drop_column("approval")
