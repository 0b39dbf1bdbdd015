"""Alembic migrations build the same schema as the models, on every backend."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade
from flask_migrate import upgrade

from forum import create_app
from forum.config import TestConfig
from forum.extensions import db
from search_index.postgres_backend import TABLES as SEARCH_TABLES
from tests.helpers import fresh_postgres_database


def not_search_table(name, type_, parent_names) -> bool:
    """The PostgreSQL search tables are no model's: raw SQL in their migration."""
    return not (type_ == "table" and name in SEARCH_TABLES)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path, worker_id):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    with fresh_postgres_database(f"serambi_migrations_{worker_id}_{os.getpid()}") as url:
        yield url


def test_upgrade_builds_the_models_schema_and_downgrade_undoes_it(empty_database_url):
    app = create_app(type("C", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": empty_database_url}))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_name": not_search_table})
            differences = compare_metadata(context, db.metadata)
        assert differences == []
        if db.engine.dialect.name == "postgresql":  # SEARCH_BACKEND=postgresql's own tables
            assert set(SEARCH_TABLES) <= set(sa.inspect(db.engine).get_table_names())
        downgrade(revision="base")
        with db.engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_there_is_one_alembic_head():
    app = create_app(TestConfig)
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_facilitators_from_before_regions_look_after_all_of_indonesia(empty_database_url):
    app = create_app(type("C", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": empty_database_url}))
    with app.app_context():
        upgrade(revision="f5a7c9e1b3d4")
        insert = sa.text(
            "INSERT INTO users (username, display_name, email, password_hash, role, timezone,"
            " session_token, created_at, suspended_indefinitely)"
            " VALUES (:name, :name, :email, 'x', :role, 'Asia/Jakarta',"
            " :name, CURRENT_TIMESTAMP, false)"
        )
        with db.engine.begin() as conn:
            for name, role in [("fani", "facilitator"), ("adi", "admin"), ("lina", "librarian")]:
                conn.execute(insert, {"name": name, "email": f"{name}@contoh.id", "role": role})
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT users.username, facilitator_scopes.region FROM facilitator_scopes"
                    " JOIN users ON users.id = facilitator_scopes.user_id"
                )
            ).all()
        assert [tuple(row) for row in rows] == [("fani", "nasional")]
        db.engine.dispose()
