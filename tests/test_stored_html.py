"""Posts and their earlier versions keep their rendered HTML: pages never run Markdown.

Written by the thread service, filled for old rows by the migration, rendered
again by ``flask posts rerender`` when the renderer changes.
"""

from __future__ import annotations

import os
from datetime import UTC
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from forum import create_app
from forum import markup
from forum.config import TestConfig
from forum.extensions import db
from forum.markup import RENDER_VERSION
from forum.models import Post
from forum.models import PostRevision
from forum.models import Thread
from forum.models import User
from forum.threads import service as threads
from tests.helpers import app_db
from tests.helpers import client_for
from tests.helpers import fresh_postgres_database

BEFORE_STORED_HTML = "d4f6b8a0c2e3"
STORED_HTML = "e8c2f4a6b1d3"


@pytest.fixture
def edited_reply(app, make_user, make_thread, make_reply):
    """A thread whose reply mentions a member and was edited once."""
    make_user("rina_lestari")
    author = make_user()
    thread = make_thread(body="Pembuka dengan **tebal**", tags=())
    with app_db(app) as session:
        threads.edit_thread(
            session.get(User, thread.author_id),
            session.get(Thread, thread.id),
            thread.title,
            "Pembuka dengan **tebal**",
            [],
            sections={"context": "Latar *belakang* desa", "participants": 40},
        )
        session.commit()
    reply = make_reply(thread, author, body="Versi *pertama* untuk @rina_lestari")
    with app_db(app) as session:
        threads.edit_post(
            session.get(User, author.id), session.get(Post, reply.id), "Versi **kedua**"
        )
        session.commit()
    return thread, reply


def test_pages_show_stored_html_and_never_run_markdown(app, edited_reply, monkeypatch):
    thread, reply = edited_reply

    def refuse(*args, **kwargs):
        raise AssertionError("Markdown was rendered while showing a page")

    monkeypatch.setattr(markup._markdown, "render", refuse)
    visitor = client_for(app)
    page = visitor.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert "Pembuka dengan <strong>tebal</strong>" in page
    assert "<p>Latar <em>belakang</em> desa</p>" in page and "40" in page
    assert "Versi <strong>kedua</strong>" in page
    history = visitor.get(f"/posts/{reply.id}/history").get_data(as_text=True)
    assert "Versi <strong>kedua</strong>" in history
    assert "Versi <em>pertama</em>" in history
    assert '<a href="/users/rina_lestari" rel="nofollow ugc noopener">@rina_lestari</a>' in history


def test_a_deleted_members_name_stops_being_a_link(app, edited_reply):
    """Links are stored now: deleting an account renders again what linked to it."""
    from forum.users.accounts import delete_account

    thread, reply = edited_reply
    with app_db(app) as session:
        threads.edit_thread(
            session.get(User, thread.author_id),
            session.get(Thread, thread.id),
            thread.title,
            "Pembuka untuk @rina_lestari",
            [],
            sections={"context": "Tanya @rina_lestari"},
        )
        session.commit()
        rina = session.scalar(sa.select(User).where(User.username == "rina_lestari"))
        delete_account(rina)
        session.commit()
    visitor = client_for(app)
    for page in (f"/threads/{thread.id}", f"/posts/{reply.id}/history"):
        html = visitor.get(page).get_data(as_text=True)
        assert "@rina_lestari" in html and 'href="/users/rina_lestari"' not in html


def test_writes_store_html_with_the_render_version(app, edited_reply):
    _thread, reply = edited_reply
    with app_db(app) as session:
        post = session.get(Post, reply.id)
        revision = session.scalars(sa.select(PostRevision)).one()
        assert (post.body_html, post.html_version) == (
            "<p>Versi <strong>kedua</strong></p>\n",
            RENDER_VERSION,
        )
        assert revision.body_html.startswith("<p>Versi <em>pertama</em> untuk <a href=")
        assert revision.html_version == RENDER_VERSION


def test_rerender_renders_again_and_if_needed_skips_current_rows(app, runner, edited_reply):
    _thread, reply = edited_reply
    with app_db(app) as session:
        session.execute(
            sa.update(Post)
            .where(Post.id == reply.id)
            .values(body_html="<p>old renderer</p>", html_version="0-old")
        )
        session.execute(
            sa.update(Thread).values(sections_html={"context": "<p>old</p>"}, html_version=None)
        )
        # Current version stamp: --if-needed leaves it, a full run renders it again.
        session.execute(sa.update(PostRevision).values(body_html="<p>kept</p>"))
        session.commit()

    result = runner.invoke(args=["posts", "rerender", "--if-needed"])
    assert result.exit_code == 0, result.output
    assert "Rendered 2 posts" in result.output  # only the stale post and thread
    with app_db(app) as session:
        assert session.get(Post, reply.id).body_html == "<p>Versi <strong>kedua</strong></p>\n"
        assert session.scalars(sa.select(Thread.sections_html)).one() == {
            "context": "<p>Latar <em>belakang</em> desa</p>\n"
        }
        assert session.scalars(sa.select(PostRevision.body_html)).one() == "<p>kept</p>"

    result = runner.invoke(args=["posts", "rerender", "--if-needed"])
    assert "Everything is rendered by the current renderer" in result.output

    result = runner.invoke(args=["posts", "rerender"])
    assert result.exit_code == 0, result.output
    with app_db(app) as session:
        assert "<em>pertama</em>" in session.scalars(sa.select(PostRevision.body_html)).one()


def test_rerender_writes_no_search_work(app, runner, edited_reply):
    """The text did not change, so the search index has nothing to redo."""
    with app_db(app) as session:
        before = session.scalar(sa.text("SELECT count(*) FROM search_outbox"))
    assert runner.invoke(args=["posts", "rerender"]).exit_code == 0
    with app_db(app) as session:
        assert session.scalar(sa.text("SELECT count(*) FROM search_outbox")) == before


# --- the migration ---------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated_app(request, tmp_path, worker_id):
    """An app on an empty database of each backend, for running the migrations."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        yield create_app(type("C", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
        return
    with fresh_postgres_database(f"serambi_stored_html_{worker_id}_{os.getpid()}") as url:
        app = create_app(type("C", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
        yield app
        with app.app_context():
            db.engine.dispose()


def _insert(conn, name: str, **values) -> int:
    """Insert a row into the table as the old schema has it, filling required columns."""
    table = sa.Table(name, sa.MetaData(), autoload_with=conn)
    row = {}
    for column in table.columns:
        if column.name in values or column.nullable or column.primary_key:
            continue
        if column.server_default is not None:
            continue
        python_type = column.type.python_type
        if python_type is bool:
            row[column.name] = False
        elif python_type is int:
            row[column.name] = 0
        elif python_type is datetime:
            row[column.name] = datetime(2026, 1, 5, tzinfo=UTC)
        else:
            row[column.name] = "x"
    row.update(values)
    return conn.execute(table.insert().values(**row).returning(table.c.id)).scalar_one()


def test_migration_fills_the_html_of_existing_posts_revisions_and_sections(migrated_app):
    with migrated_app.app_context():
        upgrade(revision=BEFORE_STORED_HTML)
        with db.engine.begin() as conn:
            rina = _insert(
                conn, "users", username="rina_lestari", email="r@contoh.id", role="librarian"
            )
            author = _insert(conn, "users", username="asep", email="a@contoh.id", role="librarian")
            thread = _insert(
                conn,
                "threads",
                kind="practice",
                title="Pojok",
                author_id=author,
                tips="Ajak **kader**",
            )
            post = _insert(
                conn,
                "posts",
                thread_id=thread,
                author_id=author,
                body="Kini **tebal**, untuk @rina_lestari",
                is_opening=True,
            )
            _insert(
                conn, "post_revisions", post_id=post, body="Dulu *miring*", written_by_id=author
            )
        assert rina
        upgrade(revision=STORED_HTML)
        with db.engine.connect() as conn:
            post_html, post_version = conn.execute(
                sa.text("SELECT body_html, html_version FROM posts")
            ).one()
            revision_html, redacted = conn.execute(
                sa.text("SELECT body_html, redacted_at FROM post_revisions")
            ).one()
        assert post_html == (
            '<p>Kini <strong>tebal</strong>, untuk <a href="/users/rina_lestari" '
            'rel="nofollow ugc noopener">@rina_lestari</a></p>\n'
        )
        assert post_version == RENDER_VERSION
        assert (revision_html, redacted) == ("<p>Dulu <em>miring</em></p>\n", None)
        sections = db.session.scalars(sa.select(Thread.sections_html)).one()
        db.session.remove()
        assert sections == {"tips": "<p>Ajak <strong>kader</strong></p>\n"}
        db.engine.dispose()
