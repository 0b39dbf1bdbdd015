"""verified practices (with earlier summaries) and requested compilations

Revision ID: b7d9f1a3c5e2
Revises: b3d5f7a9c1e2
Create Date: 2026-12-03 10:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b7d9f1a3c5e2"
down_revision = "b3d5f7a9c1e2"
branch_labels = None
depends_on = None

# Visitors' pages show the badge: the content version (forum/content_version.py) follows it.
TABLE = "practice_verifications"
BUMP = "UPDATE content_version SET version = version + 1 WHERE id = 1"


def _utc():
    return sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("verified_by_id", sa.Integer(), nullable=False),
        sa.Column("verified_at", _utc(), nullable=False),
        sa.Column("unverified_at", _utc(), nullable=True),
        sa.Column("unverified_by_id", sa.Integer(), nullable=True),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("html_version", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["threads.id"],
            name=op.f("fk_practice_verifications_thread_id_threads"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["verified_by_id"], ["users.id"],
            name=op.f("fk_practice_verifications_verified_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["unverified_by_id"], ["users.id"],
            name=op.f("fk_practice_verifications_unverified_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_verifications")),
        sa.UniqueConstraint("thread_id", name=op.f("uq_practice_verifications_thread_id")),
    )
    op.create_index(
        op.f("ix_practice_verifications_verified_at"), TABLE, ["verified_at"], unique=False
    )
    op.create_table(
        "verification_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("verification_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("written_by_id", sa.Integer(), nullable=False),
        sa.Column("written_at", _utc(), nullable=False),
        sa.Column("replaced_at", _utc(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("html_version", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["verification_id"], ["practice_verifications.id"],
            name=op.f("fk_verification_revisions_verification_id_practice_verifications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["written_by_id"], ["users.id"],
            name=op.f("fk_verification_revisions_written_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_revisions")),
    )
    op.create_index(
        op.f("ix_verification_revisions_verification_id"),
        "verification_revisions", ["verification_id"], unique=False,
    )
    op.create_table(
        "compilations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("practices", sa.Integer(), nullable=False),
        sa.Column("file_key", sa.String(length=80), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("finished_at", _utc(), nullable=True),
        sa.CheckConstraint(
            "status IN ('waiting', 'working', 'ready', 'failed')", name=op.f("ck_compilations_status")
        ),
        sa.CheckConstraint("format IN ('html', 'pdf')", name=op.f("ck_compilations_format")),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_compilations_requested_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compilations")),
    )
    op.create_index(
        op.f("ix_compilations_requested_by_id"), "compilations", ["requested_by_id"], unique=False
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE CONSTRAINT TRIGGER content_version_{TABLE} AFTER INSERT OR UPDATE OR DELETE "
            f"ON {TABLE} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            "EXECUTE FUNCTION bump_content_version()"
        )
    else:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER content_version_{TABLE}_{event.lower()} AFTER {event} "
                f"ON {TABLE} BEGIN {BUMP}; END"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS content_version_{TABLE} ON {TABLE}")
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS content_version_{TABLE}_{event}")
    op.drop_index(op.f("ix_compilations_requested_by_id"), table_name="compilations")
    op.drop_table("compilations")
    op.drop_index(
        op.f("ix_verification_revisions_verification_id"), table_name="verification_revisions"
    )
    op.drop_table("verification_revisions")
    op.drop_index(op.f("ix_practice_verifications_verified_at"), table_name=TABLE)
    op.drop_table(TABLE)
