"""partners: organisations, the role partner, challenges' needs, offers of support

Revision ID: b4d6f8a0c2e4
Revises: a7d3e9b1c5f2
Create Date: 2026-12-03 10:55:00

"""

from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b4d6f8a0c2e4"
down_revision = "a7d3e9b1c5f2"
branch_labels = None
depends_on = None

# As the models had them when this revision was written.
PARTNER_KINDS = (
    "pemerintah-desa",
    "dinas",
    "perusahaan",
    "komunitas",
    "perguruan-tinggi",
    "perpustakaan",
)
NEED_KINDS = ("dana", "buku", "narasumber", "tempat", "peralatan", "internet")
OFFER_STATUSES = ("offered", "accepted", "declined", "delivered")
OLD_ROLES = ("librarian", "facilitator", "admin")
NEW_ROLES = (*OLD_ROLES, "partner")
OLD_NOTIFICATIONS = ("mention", "accepted", "adoption", "moderation", "reply", "new_thread")
NEW_NOTIFICATIONS = (
    "mention", "accepted", "adoption", "moderation", "support", "reply", "new_thread",
)
# Visitors' thread pages show the needs and offers: the content version follows them
# (forum/content_version.py), as it follows users, whose table SQLite's batch mode rebuilds.
NEW_TABLES = ("partners", "support_requests", "support_needs", "support_offers")
BUMP = "UPDATE content_version SET version = version + 1 WHERE id = 1"


def _in(values) -> str:
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


def _sqlite_triggers(table: str) -> None:
    for event in ("INSERT", "UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER IF NOT EXISTS content_version_{table}_{event.lower()} AFTER {event} "
            f"ON {table} BEGIN {BUMP}; END"
        )


def _add_triggers(tables) -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in tables:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER content_version_{table} AFTER INSERT OR UPDATE OR "
                f"DELETE ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                "EXECUTE FUNCTION bump_content_version()"
            )
    else:
        for table in tables:
            _sqlite_triggers(table)


@contextmanager
def _users_rebuilt():
    """Rebuild ``users`` on SQLite (batch mode) with foreign keys off, as SQLite's own
    procedure for changing a table says.

    Dropping the old ``users`` table with foreign keys on would first delete its rows,
    and ON DELETE CASCADE would empty every table that points at a member (facilitator
    scopes, follows, notifications, drafts ...). ``PRAGMA foreign_keys`` is ignored inside
    a transaction, so this runs in Alembic's autocommit block (which commits the
    migrations before it), in a transaction of its own, checks the keys before
    committing, and turns them on again. The rebuilt table gets its triggers back.
    """
    if op.get_bind().dialect.name != "sqlite":
        yield
        return
    with op.get_context().autocommit_block():
        raw = op.get_bind().connection.dbapi_connection
        if raw.in_transaction:  # the BEGIN the app's engine emits on every begin
            raw.execute("COMMIT")
        raw.execute("PRAGMA foreign_keys=OFF")
        raw.execute("BEGIN")
        try:
            yield
            _sqlite_triggers("users")
            broken = raw.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"foreign keys broken by the rebuild: {broken[:5]}")
        except BaseException:
            raw.execute("ROLLBACK")
            raw.execute("PRAGMA foreign_keys=ON")
            raise
    # Alembic has begun its next transaction, with nothing in it yet.
    if raw.in_transaction:
        raw.execute("COMMIT")
    raw.execute("PRAGMA foreign_keys=ON")
    raw.execute("BEGIN")


def _set_checks(batch_op, roles) -> None:
    batch_op.drop_constraint(op.f("ck_users_role"), type_="check")
    batch_op.create_check_constraint(op.f("ck_users_role"), f"role IN {_in(roles)}")


def _set_notification_kinds(kinds) -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notifications_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_notifications_kind"), f"kind IN {_in(kinds)}")


def upgrade():
    op.create_table(
        "partners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("regions", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"kind IN {_in(PARTNER_KINDS)}", name=op.f("ck_partners_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
        sa.UniqueConstraint("name", name=op.f("uq_partners_name")),
    )
    with _users_rebuilt(), op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partner_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_users_partner_id"), ["partner_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_users_partner_id_partners"), "partners", ["partner_id"], ["id"]
        )
        _set_checks(batch_op, NEW_ROLES)
    _set_notification_kinds(NEW_NOTIFICATIONS)

    op.create_table(
        "support_requests",
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["threads.id"],
            name=op.f("fk_support_requests_thread_id_threads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("thread_id", name=op.f("pk_support_requests")),
    )
    op.create_index(op.f("ix_support_requests_created_at"), "support_requests", ["created_at"])
    op.create_table(
        "support_needs",
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.CheckConstraint(f"kind IN {_in(NEED_KINDS)}", name=op.f("ck_support_needs_kind")),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["support_requests.thread_id"],
            name=op.f("fk_support_needs_thread_id_support_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("thread_id", "kind", name=op.f("pk_support_needs")),
    )
    op.create_index(op.f("ix_support_needs_kind"), "support_needs", ["kind"])
    op.create_table(
        "support_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("offered_by_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("what", sa.String(length=500), nullable=False),
        sa.Column("offered_when", sa.String(length=120), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(f"kind IN {_in(NEED_KINDS)}", name=op.f("ck_support_offers_kind")),
        sa.CheckConstraint(
            f"status IN {_in(OFFER_STATUSES)}", name=op.f("ck_support_offers_status")
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["users.id"], name=op.f("fk_support_offers_answered_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["delivered_by_id"],
            ["users.id"],
            name=op.f("fk_support_offers_delivered_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_support_offers_meeting_id_meetings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["offered_by_id"], ["users.id"], name=op.f("fk_support_offers_offered_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_support_offers_partner_id_partners")
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["threads.id"],
            name=op.f("fk_support_offers_thread_id_threads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_offers")),
    )
    for column in ("created_at", "meeting_id", "partner_id", "thread_id"):
        op.create_index(op.f(f"ix_support_offers_{column}"), "support_offers", [column])
    _add_triggers(NEW_TABLES)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in NEW_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS content_version_{table} ON {table}")
    for column in ("thread_id", "partner_id", "meeting_id", "created_at"):
        op.drop_index(op.f(f"ix_support_offers_{column}"), table_name="support_offers")
    op.drop_table("support_offers")
    op.drop_index(op.f("ix_support_needs_kind"), table_name="support_needs")
    op.drop_table("support_needs")
    op.drop_index(op.f("ix_support_requests_created_at"), table_name="support_requests")
    op.drop_table("support_requests")
    op.execute("DELETE FROM notifications WHERE kind = 'support'")
    op.execute("DELETE FROM notification_settings WHERE kind = 'support'")
    op.execute("UPDATE users SET role = 'librarian' WHERE role = 'partner'")
    _set_notification_kinds(OLD_NOTIFICATIONS)
    with _users_rebuilt(), op.batch_alter_table("users", schema=None) as batch_op:
        _set_checks(batch_op, OLD_ROLES)
        batch_op.drop_constraint(batch_op.f("fk_users_partner_id_partners"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_users_partner_id"))
        batch_op.drop_column("partner_id")
    op.drop_table("partners")
