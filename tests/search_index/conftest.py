"""Fixtures for the search engine: an index directory, an engine, a stand-in forum database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from search_index import PostgresEngine
from search_index import SearchBackend
from search_index import SearchDocument
from search_index import SearchEngine
from search_index.postgres_backend import create_schema
from tests.helpers import fresh_postgres_database
from tests.search_index.index_helpers import Base
from tests.search_index.index_helpers import sqlite_engine


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "search_index"


@pytest.fixture
def engine(index_dir: Path) -> Iterator[SearchEngine]:
    """An engine on an empty index; failed drains stay pending (no background thread)."""
    search = SearchEngine(index_dir, background=False)
    yield search
    search.close()


@pytest.fixture(scope="session")
def search_database(worker_id) -> Iterator[sa.Engine]:
    """A PostgreSQL database with the search tables, for the PostgreSQL backend."""
    with fresh_postgres_database(f"serambi_search_{worker_id}_{os.getpid()}") as url:
        database = sa.create_engine(url)
        create_schema(database)
        yield database
        database.dispose()


@pytest.fixture(params=["whoosh", "postgresql"])
def index(request, engine: SearchEngine):
    """``index(*docs)`` rebuilds the index with exactly these documents, on each backend.

    The PostgreSQL backend needs TEST_DATABASE_URL; without it those runs skip.
    """
    backend: SearchBackend = engine
    if request.param == "postgresql":
        backend = PostgresEngine(request.getfixturevalue("search_database"))

    def build(*docs: SearchDocument) -> SearchBackend:
        backend.rebuild(iter(docs))
        return backend

    return build


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sa.Engine]:
    database = sqlite_engine(tmp_path / "forum.sqlite")
    Base.metadata.create_all(database)
    yield database
    database.dispose()


@pytest.fixture
def sessions(db: sa.Engine, engine: SearchEngine) -> sessionmaker[Session]:
    """A sessionmaker with the search hooks installed (as the forum does on db.session)."""
    factory = sessionmaker(db, expire_on_commit=False)
    engine.install_hooks(factory)
    return factory
