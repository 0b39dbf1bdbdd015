"""accounts: deletion and anonymisation

Revision ID: d4f6b8a0c2e3
Revises: c3e5a7f9b1d2
Create Date: 2026-11-24 18:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4f6b8a0c2e3'
down_revision = 'c3e5a7f9b1d2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
