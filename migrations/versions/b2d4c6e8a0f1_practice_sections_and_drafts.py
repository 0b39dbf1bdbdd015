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


def upgrade():
    pass


def downgrade():
    pass
