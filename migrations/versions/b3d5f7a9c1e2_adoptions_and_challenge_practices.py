"""adoptions ("Kami mencoba ini"), their history, and practices linked to challenges

Revision ID: b3d5f7a9c1e2
Revises: a7c1e3f5b9d2
Create Date: 2026-12-03 10:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b3d5f7a9c1e2"
down_revision = "a7c1e3f5b9d2"
branch_labels = None
depends_on = None

STATUSES = "status IN ('planned', 'trying', 'running', 'stopped')"
OLD_KINDS = ("mention", "accepted", "moderation", "reply", "new_thread")
NEW_KINDS = ("mention", "accepted", "adoption", "moderation", "reply", "new_thread")
# Visitors' practice pages show these: the content version follows them (forum/content_version.py).
TABLES = ("adoptions", "adoption_updates", "challenge_practices")
BUMP = "UPDATE content_version SET version = version + 1 WHERE id = 1"


def _kinds(kinds) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def _fields():
    return [
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("adapted", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("participants", sa.Integer(), nullable=True),
    ]


def upgrade():
    op.create_table(
        "adoptions",
        *_fields(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("library_id", sa.Integer(), nullable=False),
        sa.Column("regency", sa.String(length=60), nullable=False),
        sa.Column("province", sa.String(length=60), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(STATUSES, name=op.f("ck_adoptions_status")),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["threads.id"],
            name=op.f("fk_adoptions_practice_id_threads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["library_id"],
            ["libraries.id"],
            name=op.f("fk_adoptions_library_id_libraries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_adoptions_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_adoptions_updated_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name=op.f("fk_adoptions_post_id_posts"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adoptions")),
        sa.UniqueConstraint("practice_id", "library_id", name="uq_adoptions_practice_library"),
    )
    op.create_index(op.f("ix_adoptions_practice_id"), "adoptions", ["practice_id"])
    op.create_index(op.f("ix_adoptions_library_id"), "adoptions", ["library_id"])
    op.create_index(op.f("ix_adoptions_regency"), "adoptions", ["regency"])
    op.create_index(op.f("ix_adoptions_created_at"), "adoptions", ["created_at"])

    op.create_table(
        "adoption_updates",
        *_fields(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("adoption_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(STATUSES, name=op.f("ck_adoption_updates_status")),
        sa.ForeignKeyConstraint(
            ["adoption_id"],
            ["adoptions.id"],
            name=op.f("fk_adoption_updates_adoption_id_adoptions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_adoption_updates_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_adoption_updates_post_id_posts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adoption_updates")),
    )
    op.create_index(op.f("ix_adoption_updates_adoption_id"), "adoption_updates", ["adoption_id"])

    op.create_table(
        "challenge_practices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("linked_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("solved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["threads.id"],
            name=op.f("fk_challenge_practices_challenge_id_threads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["threads.id"],
            name=op.f("fk_challenge_practices_practice_id_threads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["linked_by_id"], ["users.id"], name=op.f("fk_challenge_practices_linked_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenge_practices")),
        sa.UniqueConstraint("challenge_id", "practice_id", name="uq_challenge_practices_pair"),
    )
    op.create_index(
        op.f("ix_challenge_practices_challenge_id"), "challenge_practices", ["challenge_id"]
    )
    op.create_index(
        op.f("ix_challenge_practices_practice_id"), "challenge_practices", ["practice_id"]
    )

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notifications_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_notifications_kind"), _kinds(NEW_KINDS))

    _triggers(create=True)


def _triggers(*, create: bool):
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgresql:
            if create:
                op.execute(
                    f"CREATE CONSTRAINT TRIGGER content_version_{table} AFTER INSERT OR UPDATE "
                    f"OR DELETE ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                    "EXECUTE FUNCTION bump_content_version()"
                )
            else:
                op.execute(f"DROP TRIGGER IF EXISTS content_version_{table} ON {table}")
            continue
        for event in ("INSERT", "UPDATE", "DELETE"):
            name = f"content_version_{table}_{event.lower()}"
            if create:
                op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {BUMP}; END")
            else:
                op.execute(f"DROP TRIGGER IF EXISTS {name}")


def downgrade():
    _triggers(create=False)
    op.execute("DELETE FROM notifications WHERE kind = 'adoption'")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_notifications_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_notifications_kind"), _kinds(OLD_KINDS))
    op.drop_index(op.f("ix_challenge_practices_practice_id"), table_name="challenge_practices")
    op.drop_index(op.f("ix_challenge_practices_challenge_id"), table_name="challenge_practices")
    op.drop_table("challenge_practices")
    op.drop_index(op.f("ix_adoption_updates_adoption_id"), table_name="adoption_updates")
    op.drop_table("adoption_updates")
    op.drop_index(op.f("ix_adoptions_created_at"), table_name="adoptions")
    op.drop_index(op.f("ix_adoptions_regency"), table_name="adoptions")
    op.drop_index(op.f("ix_adoptions_library_id"), table_name="adoptions")
    op.drop_index(op.f("ix_adoptions_practice_id"), table_name="adoptions")
    op.drop_table("adoptions")
