"""attachments

Revision ID: c3e5a7f9b1d2
Revises: b2d4c6e8a0f1
Create Date: 2026-11-24 18:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3e5a7f9b1d2'
down_revision = 'b2d4c6e8a0f1'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
