"""libraries: joining a library that has members is a request its members confirm

Revision ID: c9e1a3b5d7f0
Revises: b8d4f0a2e6c3
Create Date: 2026-12-03 14:20:00

Members who already belong to a library keep it. Notifications may point at no thread
(a join request is about a library), and get the kind ``library``.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c9e1a3b5d7f0"
down_revision = "b8d4f0a2e6c3"
branch_labels = None
depends_on = None

# As the models had them when this revision was written.
OLD_NOTIFICATIONS = (
    "mention",
    "accepted",
    "adoption",
    "moderation",
    "support",
    "reply",
    "new_thread",
)
NEW_NOTIFICATIONS = (*OLD_NOTIFICATIONS, "library")


def _in(values) -> str:
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


def _notifications(kinds, thread_nullable: bool) -> None:
    # Nothing points at notifications: SQLite's rebuild of this table cascades nowhere.
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("thread_id", existing_type=sa.Integer(), nullable=thread_nullable)
        batch_op.drop_constraint(op.f("ck_notifications_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_notifications_kind"), f"kind IN {_in(kinds)}")


def upgrade():
    op.create_table(
        "library_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("library_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('waiting', 'confirmed', 'declined')",
            name=op.f("ck_library_requests_status"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_library_requests_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["library_id"],
            ["libraries.id"],
            name=op.f("fk_library_requests_library_id_libraries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_library_requests_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_requests")),
    )
    with op.batch_alter_table("library_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_library_requests_library_id"), ["library_id"])
        batch_op.create_index(batch_op.f("ix_library_requests_status"), ["status"])
        batch_op.create_index(batch_op.f("ix_library_requests_user_id"), ["user_id"])
    _notifications(NEW_NOTIFICATIONS, thread_nullable=True)


def downgrade():
    op.execute("DELETE FROM notifications WHERE kind = 'library' OR thread_id IS NULL")
    _notifications(OLD_NOTIFICATIONS, thread_nullable=False)
    op.drop_table("library_requests")
