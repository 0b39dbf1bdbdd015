"""posts: stored rendered HTML, and redacted earlier versions

Posts and their earlier versions keep the sanitized HTML rendered when they are
written (``body_html``, and ``html_version`` naming the renderer), threads their
report sections' (``sections_html``); this fills them for the rows that exist,
with the renderer of the code being migrated. Later
renderer or allowlist changes are caught up with ``flask posts rerender
--if-needed``. Earlier versions can be redacted (``redacted_at``/``redacted_by_id``).

Revision ID: e8c2f4a6b1d3
Revises: d4f6b8a0c2e3
Create Date: 2026-12-03 07:45:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "e8c2f4a6b1d3"
down_revision = "d4f6b8a0c2e3"
branch_labels = None
depends_on = None

BATCH = 200


def _fill(bind, table_name: str) -> None:
    """Render every row's text, a batch at a time (keyset by id, executemany updates)."""
    from forum.markup import RENDER_VERSION
    from forum.stored_html import TEXT_SECTIONS
    from forum.stored_html import render_bodies

    threads = table_name == "threads"
    texts = TEXT_SECTIONS if threads else ("body",)
    table = sa.table(
        table_name,
        sa.column("id", sa.Integer),
        *(sa.column(name, sa.Text) for name in texts),
        sa.column("sections_html" if threads else "body_html", sa.JSON if threads else sa.Text),
        sa.column("html_version", sa.String),
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(table.c.id, *(table.c[name] for name in texts))
            .where(table.c.id > last)
            .order_by(table.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        filled = [(row.id, name, getattr(row, name)) for row in rows for name in texts]
        filled = [each for each in filled if each[2]]
        html = render_bodies([text for _id, _name, text in filled], bind)
        stored = {row.id: {} for row in rows}
        for (row_id, name, _text), each in zip(filled, html):
            stored[row_id][name] = each
        target = "sections_html" if threads else "body_html"
        bind.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("row_id"))
            .values({target: sa.bindparam("new_html"), "html_version": RENDER_VERSION}),
            [
                {
                    "row_id": row_id,
                    "new_html": values if threads else values.get("body", ""),
                }
                for row_id, values in stored.items()
            ],
        )
        last = rows[-1].id


def upgrade():
    for table_name in ("posts", "post_revisions"):
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.add_column(sa.Column("body_html", sa.Text(), nullable=True))
            batch_op.add_column(sa.Column("html_version", sa.String(length=40), nullable=True))
    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sections_html", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("html_version", sa.String(length=40), nullable=True))
    with op.batch_alter_table("post_revisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("redacted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("redacted_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_post_revisions_redacted_by_id_users"),
            "users",
            ["redacted_by_id"],
            ["id"],
        )
    bind = op.get_bind()
    for table_name in ("posts", "post_revisions", "threads"):
        _fill(bind, table_name)


def downgrade():
    with op.batch_alter_table("post_revisions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_post_revisions_redacted_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("redacted_by_id")
        batch_op.drop_column("redacted_at")
    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.drop_column("html_version")
        batch_op.drop_column("sections_html")
    for table_name in ("posts", "post_revisions"):
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.drop_column("html_version")
            batch_op.drop_column("body_html")
