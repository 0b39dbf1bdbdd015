"""Fixtures: an app on each database backend, a client, and factories named as verbs.

Every database test runs on SQLite and, when TEST_DATABASE_URL is set, on
PostgreSQL (a database per xdist worker). In CI a missing PostgreSQL fails
instead of skipping. CSRF stays on: tests/helpers.py reads the real token from a page.
Helpers that are not fixtures live in tests/helpers.py.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.routing.rules import Rule

from forum import create_app
from forum.config import TestConfig
from forum.extensions import db
from forum.extensions import search
from search_index.postgres_backend import TABLES as SEARCH_TABLES
from search_index.postgres_backend import create_schema as create_search_schema
from tests.helpers import PASSWORD
from tests.helpers import PG_SEARCH
from tests.helpers import fresh_postgres_database
from tests.helpers import login_as


def _compile_url_builders_once() -> None:
    """Each test makes a new app, and werkzeug turns each URL rule into Python code for
    url_for every time an app adds it: 94 % of create_app, ~55 ms a test. The code is a
    function of the rule alone (bound to the rule when used), so a test process makes
    it once per rule. Production makes one app per process and is not touched."""
    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None or getattr(compile_builder, "made_once", False):
        return  # another werkzeug: tests just take longer
    made: dict[tuple, object] = {}

    def once(self, append_unknown=True):
        key = (
            self.rule,
            tuple(self._trace),
            repr(sorted((self.defaults or {}).items())),
            tuple((name, type(c).__name__, c.regex) for name, c in self._converters.items()),
            append_unknown,
        )
        if key not in made:
            made[key] = compile_builder(self, append_unknown)
        return made[key]

    once.made_once = True
    Rule._compile_builder = once


def pytest_configure(config):
    # The app reads config at import of forum.config; tests never use a real .env.
    os.environ.setdefault("SERAMBI_ENV", "test")
    _compile_url_builders_once()
    # Compiled templates shared by this process's apps, in a directory only we can write
    # (a predictable shared path would let another local user plant compiled code).
    TestConfig.TEMPLATE_CACHE_DIR = tempfile.mkdtemp(prefix="serambi-templates-")


def pytest_unconfigure(config):
    if TestConfig.TEMPLATE_CACHE_DIR:
        shutil.rmtree(TestConfig.TEMPLATE_CACHE_DIR, ignore_errors=True)


def _app_config(tmp_path, database_uri: str) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "SEARCH_INDEX_DIR": str(tmp_path / "search_index"),
    }


@pytest.fixture(scope="session")
def postgres_url(worker_id):
    """A PostgreSQL database for this xdist worker, with the schema created once."""
    # The pid too: two test runs in one checkout must not drop each other's databases.
    with fresh_postgres_database(f"serambi_test_{worker_id}_{os.getpid()}") as url:
        schema_app = create_app(type("C", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
        with schema_app.app_context():
            db.create_all()
            create_search_schema(db.engine)  # the migration's PostgreSQL-only search tables
            db.engine.dispose()
        yield url


def _empty_all() -> None:
    """Delete every row and restart every sequence: a clean database for the next test.

    DELETE, not TRUNCATE: a test leaves a few rows in each table, and deleting them
    takes ~20 ms where TRUNCATE's file work on 40 tables took 300-600 ms a test.
    """
    tables = list(reversed(db.metadata.sorted_tables))
    # A key that closes a cycle (threads -> their accepted post) is emptied first.
    cycles = [
        f'UPDATE "{table.name}" SET "{key.parent.name}" = NULL'
        for table in tables
        for key in table.foreign_keys
        if key.constraint.use_alter
    ]
    deletes = [f'DELETE FROM "{name}"' for name in [*SEARCH_TABLES, *(t.name for t in tables)]]
    with db.engine.begin() as conn:
        conn.exec_driver_sql("; ".join(cycles + deletes))
        conn.exec_driver_sql(
            "SELECT setval(oid::regclass, 1, false) FROM pg_class WHERE relkind = 'S'"
        )
        # The row the content-version triggers bump (forum/content_version.py).
        conn.exec_driver_sql("INSERT INTO content_version (id, version) VALUES (1, 0)")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file with the schema, made once; each test gets a copy of it.

    Creating the schema takes ~100 ms; copying the file, about one.
    """
    path = tmp_path_factory.mktemp("schema") / "template.sqlite"
    config = type("C", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    schema_app = create_app(config)
    with schema_app.app_context():
        db.create_all()
        db.engine.dispose()  # the last connection closed checkpoints the WAL into the file
    return path


def _sqlite_copy(template: Path, path: Path) -> str:
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    """The database; search tests add "postgresql+search" (ON_EVERY_SEARCH_BACKEND):
    PostgreSQL with SEARCH_BACKEND=postgresql instead of the Whoosh index."""
    return request.param


@pytest.fixture
def app(backend, request, tmp_path):
    """The app on a clean database. No app context stays pushed: requests get their own."""
    if backend == "sqlite":
        uri = _sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path / "serambi.sqlite")
    else:
        uri = request.getfixturevalue("postgres_url")
    settings = _app_config(tmp_path, uri)
    if backend == PG_SEARCH:
        settings["SEARCH_BACKEND"] = "postgresql"
    config = type("C", (TestConfig,), settings)
    app = create_app(config)
    with app.app_context():
        search.rebuild([], 0)  # an empty index, as `flask search reindex` makes
    yield app
    with app.app_context():
        db.session.remove()
        if backend != "sqlite":
            _empty_all()
        db.engine.dispose()


@pytest.fixture
def sqlite_app(tmp_path, sqlite_template):
    """An app on SQLite only, for tests about SQLite itself or the browser."""
    uri = _sqlite_copy(sqlite_template, tmp_path / "s.sqlite")
    app = create_app(type("C", (TestConfig,), _app_config(tmp_path, uri)))
    with app.app_context():
        search.rebuild([], 0)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _detached(obj):
    db.session.refresh(obj)
    db.session.expunge(obj)
    return obj


@pytest.fixture
def make_user(app):
    """Create a member and return it detached (columns readable, no lazy loads)."""
    from forum.auth.service import create_user
    from forum.libraries import LibraryDetails
    from forum.models import FacilitatorScope

    counter = iter(range(1, 10_000))

    def make(
        username=None,
        *,
        role="librarian",
        library="Perpustakaan Desa Sukamaju",
        regency="purwakarta",
        province="jawa-barat",
        display_name=None,
        scope=None,
        **columns,
    ):
        """``scope``: a facilitator's region values (created facilitators cover ``nasional``)."""
        n = next(counter)
        username = username or f"pustakawan{n}"
        with app.app_context():
            user = create_user(
                username,
                f"{username}@contoh.id",
                PASSWORD,
                display_name=display_name or f"Pustakawan {n}",
                role=role,
                library=LibraryDetails(
                    name=library,
                    village="Sukamaju",
                    district="Sukatani",
                    regency=regency,
                    province=province,
                )
                if library
                else None,
            )
            for key, value in columns.items():
                setattr(user, key, value)
            if scope is not None:
                user.scopes = [FacilitatorScope(region=value) for value in scope]
            db.session.commit()
            return _detached(user)

    return make


@pytest.fixture
def make_thread(app, make_user):
    """Create a thread through the service (as the web form would) and return it detached."""
    from forum.models import User
    from forum.threads import service

    def make(
        author=None,
        *,
        kind="practice",
        title="Pojok baca di balai desa",
        body="Kami membuka pojok baca setiap Sabtu.",
        tags=("literasi-anak",),
        **columns,
    ):
        author = author or make_user()
        with app.app_context():
            thread = service.create_thread(
                db.session.get(User, author.id), kind, title, body, list(tags)
            )
            for key, value in columns.items():
                setattr(thread, key, value)
            db.session.commit()
            return _detached(thread)

    return make


@pytest.fixture
def make_reply(app, make_user):
    from forum.models import Thread
    from forum.models import User
    from forum.threads import service

    def make(thread, author=None, *, body="Terima kasih, kami juga mencoba ini.", **columns):
        author = author or make_user()
        with app.app_context():
            post = service.create_reply(
                db.session.get(User, author.id), db.session.get(Thread, thread.id), body
            )
            for key, value in columns.items():
                setattr(post, key, value)
            db.session.commit()
            return _detached(post)

    return make


@pytest.fixture
def member(client, make_user):
    """A librarian, logged in on ``client``."""
    user = make_user("asep_sukamaju", display_name="Asep Saepudin")
    login_as(client, user)
    return user


@pytest.fixture
def facilitator(make_user):
    """A facilitator (no library of her own), not logged in: ``client_for(app, facilitator)``."""
    return make_user("fani", role="facilitator", display_name="Fani Fasilitator", library=None)


@pytest.fixture
def sibling_app(app):
    """Make another app on the same database and index (like a second worker), own settings."""
    made = []

    def make(**config):
        settings = {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"],
            **config,
        }
        made.append(create_app(type("C", (TestConfig,), settings)))
        return made[-1]

    yield make
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def limited_app(sibling_app):
    """Another app on the same database and index (like a second worker), limits on."""
    return lambda **config: sibling_app(**{"RATELIMIT_ENABLED": True, **config})


@pytest.fixture
def count_queries(app):
    """Count the SQL statements run inside the ``with`` block."""

    @contextmanager
    def counting():
        statements: list[str] = []

        def before(conn, cursor, statement, *args):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            sa.event.remove(engine, "before_cursor_execute", before)

    return counting
