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
    pass


def downgrade():
    pass
