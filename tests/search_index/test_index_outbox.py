"""The outbox: written in the transaction, drained after commit, never lost or reordered."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import scoped_session
from sqlalchemy.orm import sessionmaker

from search_index import SearchEngine
from search_index import document_key
from search_index.outbox import collect_rows
from search_index.schema import document_to_json
from tests.search_index.index_helpers import OUTBOX
from tests.search_index.index_helpers import T0
from tests.search_index.index_helpers import Base
from tests.search_index.index_helpers import Item
from tests.search_index.index_helpers import concurrent_writer
from tests.search_index.index_helpers import indexed_keys
from tests.search_index.index_helpers import item_document
from tests.search_index.index_helpers import make_doc
from tests.search_index.index_helpers import outbox_rows


def found(engine: SearchEngine, query: str) -> list[int]:
    return [hit.thread_id for hit in engine.search(query).hits]


@contextmanager
def index_locked(engine: SearchEngine) -> Iterator[None]:
    """Another writer holds the Whoosh lock; drains give up after 0.1 s."""
    engine.commit_timeout = 0.1
    held = engine.store.writer()
    try:
        yield
    finally:
        held.cancel()


def test_a_commit_makes_the_row_searchable(sessions, engine, db):
    with sessions() as session:
        session.add(Item(id=1, title="Dongeng", body="Mendongeng untuk anak."))
        session.commit()
    assert found(engine, "dongeng") == [1]
    assert outbox_rows(db) == []


def test_rows_flushed_early_by_an_autoflush_are_still_collected(sessions, engine, db):
    with sessions() as session:
        session.add(Item(id=1, body="Pupuk organik."))
        session.scalars(sa.select(Item)).all()  # autoflush: session.new is empty at commit
        session.commit()
    assert found(engine, "pupuk") == [1]


def test_a_rollback_leaves_no_outbox_row_and_nothing_indexed(sessions, engine, db):
    with sessions() as session:
        session.add(Item(id=1, body="Pupuk organik."))
        session.flush()
        assert len(outbox_rows_in(session)) == 1
        session.rollback()
    assert outbox_rows(db) == []
    assert found(engine, "pupuk") == []


def test_a_savepoint_inside_the_transaction_does_not_drain_early(sessions, engine, db):
    # Draining while the outer transaction still holds SQLite's write lock would
    # wait out the busy timeout; the rows are drained at the real commit.
    with sessions() as session:
        session.add(Item(id=1, body="Pupuk organik."))
        session.flush()
        with session.begin_nested():
            session.add(Item(id=2, body="Benih padi."))
        assert found(engine, "pupuk") == []
        session.commit()
    assert found(engine, "pupuk") == [1] and found(engine, "benih") == [2]
    assert outbox_rows(db) == []


def outbox_rows_in(session) -> list[sa.Row]:
    return list(session.execute(sa.select(OUTBOX)))


def test_edits_reindex_and_hiding_or_deleting_removes(sessions, engine, db):
    with sessions() as session:
        session.add_all([Item(id=1, body="Pupuk organik."), Item(id=2, body="Pupuk kandang.")])
        session.commit()
        session.get(Item, 1).body = "Benih padi."
        session.get(Item, 2).hidden = True
        session.commit()
    assert found(engine, "pupuk") == []
    assert found(engine, "benih") == [1]
    with sessions() as session:
        session.delete(session.get(Item, 1))
        session.commit()
    assert found(engine, "benih") == []
    assert indexed_keys(engine) == set()


def test_a_flush_writes_one_row_per_key_and_deletes_win(db, monkeypatch):
    def changes(self):
        doc = item_document(self)
        return [doc, doc] if self.id == 1 else [doc, document_key(self.id)]

    monkeypatch.setattr(Item, "search_changes", changes)
    with sessionmaker(db)() as session:
        session.add_all([Item(id=1, body="Satu."), Item(id=2, body="Dua.")])
        rows = collect_rows(session)
    assert [(row["op"], row["doc_key"]) for row in rows] == [
        ("upsert", "post:1"),
        ("delete", "post:2"),
    ]


def test_a_commit_while_the_index_is_locked_stays_pending(sessions, engine, db):
    with index_locked(engine):
        with sessions() as session:
            session.add(Item(id=1, body="Pupuk organik."))
            session.commit()  # succeeds: indexing is not part of the transaction
        assert [row.doc_key for row in outbox_rows(db)] == ["post:1"]
        assert engine.drain(db, timeout=0.1) == 0
    assert found(engine, "pupuk") == []
    assert engine.drain(db) == 1
    assert found(engine, "pupuk") == [1]
    assert outbox_rows(db) == []


def test_pending_versions_apply_in_order(sessions, engine, db):
    with index_locked(engine), sessions() as session:
        item = Item(id=1, body="Versi pertama.")
        session.add(item)
        session.commit()
        item.body = "Versi kedua."
        session.commit()
        item.body = "Versi ketiga."
        session.commit()
    assert len(outbox_rows(db)) == 3
    engine.drain(db)
    assert found(engine, "ketiga") == [1]
    assert found(engine, "pertama") == found(engine, "kedua") == []
    assert engine.check([item_document(Item(id=1, title="", body="Versi ketiga."))]).clean


def test_the_background_drainer_applies_pending_rows(db, index_dir):
    engine = SearchEngine(index_dir, background=True)
    factory = sessionmaker(db, expire_on_commit=False)
    engine.install_hooks(factory)
    try:
        with index_locked(engine), factory() as session:
            session.add(Item(id=1, body="Pupuk organik."))
            session.commit()
            assert len(outbox_rows(db)) == 1
        drainer = engine._drainer
        assert drainer is not None
        assert drainer.idle.wait(timeout=15)  # an event, not a sleep
        assert found(engine, "pupuk") == [1]
        assert outbox_rows(db) == []
    finally:
        engine.close()


def test_hooks_installed_twice_write_once(db, engine):
    factory = sessionmaker(db, expire_on_commit=False)
    engine.install_hooks(factory)
    engine.install_hooks(factory)
    with index_locked(engine), factory() as session:
        session.add(Item(id=1, body="Satu."))
        session.commit()
        assert len(outbox_rows(db)) == 1


def test_concurrent_writer_processes_lose_nothing(db, engine, tmp_path, index_dir):
    engine.rebuild(iter([]))
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(
            target=concurrent_writer,
            args=(str(tmp_path / "forum.sqlite"), str(index_dir), worker, 15),
        )
        for worker in range(1, 4)
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
    assert [process.exitcode for process in workers] == [0, 0, 0]

    engine.drain(db)
    assert outbox_rows(db) == []
    with sessionmaker(db)() as session:
        items = session.scalars(sa.select(Item)).all()
        expected = [item_document(item) for item in items if not item.hidden]
    report = engine.check(expected)
    assert report.clean, report
    assert report.checked == len(expected) == 45 - 3 * 3


@pytest.fixture
def postgres_db():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("CI must run the PostgreSQL tests: TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL not configured: set TEST_DATABASE_URL=postgresql://...")
    database = sa.create_engine(url)
    Base.metadata.drop_all(database)
    Base.metadata.create_all(database)
    yield database
    Base.metadata.drop_all(database)
    database.dispose()


def test_the_outbox_works_on_postgresql(postgres_db, engine):
    factory = sessionmaker(postgres_db, expire_on_commit=False)
    engine.install_hooks(factory)
    with index_locked(engine), factory() as session:
        session.add(Item(id=1, body="Pupuk organik."))
        session.commit()
    assert len(outbox_rows(postgres_db)) == 1
    assert engine.drain(postgres_db) == 1
    assert found(engine, "pupuk") == [1]
    assert outbox_rows(postgres_db) == []


def test_an_unreadable_row_does_not_block_the_others(db, engine, caplog):
    good = make_doc(2, body="Pupuk organik.")
    with db.begin() as connection:
        connection.execute(
            OUTBOX.insert(),
            [
                {"op": "upsert", "doc_key": "post:1", "payload": "{oops", "created_at": T0},
                {
                    "op": "upsert",
                    "doc_key": "post:2",
                    "payload": document_to_json(good),
                    "created_at": T0,
                },
            ],
        )
    assert engine.drain(db) == 2
    assert outbox_rows(db) == []
    assert found(engine, "pupuk") == [2]
    assert "unreadable outbox row" in caplog.text


def test_hooks_work_on_a_scoped_session_like_flask_sqlalchemy(db, engine):
    session = scoped_session(sessionmaker(db))
    engine.install_hooks(session)
    session.add(Item(id=1, body="Pupuk organik."))
    session.commit()
    session.remove()
    assert found(engine, "pupuk") == [1]
