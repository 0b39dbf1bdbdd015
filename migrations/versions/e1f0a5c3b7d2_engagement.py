"""engagement: helpful marks, follows, notifications, bookmarks

Revision ID: e1f0a5c3b7d2
Revises: 95a22f2e718d
Create Date: 2026-11-24 18:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e1f0a5c3b7d2'
down_revision = '95a22f2e718d'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
