"""Rebuilds, drift checks, recovery of a missing or damaged index, and the Flask wiring."""

from __future__ import annotations

import json
import shutil

import pytest
from flask import Flask

from search_index import SearchEngine
from search_index import SearchIndex
from search_index.engine import MESSAGE_REBUILDING
from search_index.store import VERSION_FILE
from tests.search_index.index_helpers import make_doc


def found(engine: SearchEngine, query: str) -> list[int]:
    return [hit.thread_id for hit in engine.search(query).hits]


def test_rebuild_replaces_everything_and_reports_progress(index):
    engine = index(make_doc(1, body="Pupuk lama."))
    seen: list[int] = []
    docs = [make_doc(i, body="Benih baru.") for i in range(2, 1203)]
    assert engine.rebuild(iter(docs), total=len(docs), progress=seen.append) == 1201
    assert found(engine, "pupuk") == []
    assert engine.search("benih").total == 1201
    assert seen[-1] == 1201 and seen[0] < 1201


def test_searches_keep_working_during_a_rebuild(index):
    engine = index(make_doc(1, body="Pupuk lama."))
    during: list[list[int]] = []

    def documents():
        during.append(found(engine, "pupuk"))  # the old index still answers
        yield make_doc(2, body="Benih baru.")

    engine.rebuild(documents())
    assert during == [[1]]
    assert found(engine, "benih") == [2]


def test_check_reports_and_repairs_drift(index):
    engine = index(
        make_doc(1, body="Satu."),
        make_doc(2, body="Dua."),
        make_doc(3, body="Tiga, nanti disembunyikan."),
    )
    truth = [make_doc(1, body="Satu."), make_doc(2, body="Dua, sudah diubah."), make_doc(4)]
    report = engine.check(truth)
    assert (report.missing, report.extra, report.stale) == (["post:4"], ["post:3"], ["post:2"])
    assert not report.repaired
    assert engine.check(truth, repair=True).repaired
    assert engine.check(truth).clean
    assert found(engine, "diubah") == [2]
    assert found(engine, "disembunyikan") == []


def test_a_deleted_index_directory_is_rebuilt_in_the_background(index_dir):
    docs = [make_doc(1, body="Dongeng anak."), make_doc(2, body="Pupuk.")]
    engine = SearchEngine(index_dir, documents_source=lambda: (iter(docs), len(docs)))
    try:
        engine.rebuild(iter(docs))
        assert found(engine, "dongeng") == [1]
        shutil.rmtree(index_dir)
        results = engine.search("dongeng")
        assert results.message == MESSAGE_REBUILDING
        assert results.hits == []
        engine.join_recovery(timeout=30)
        assert found(engine, "dongeng") == [1]
        assert engine.status()["documents"] == 2
    finally:
        engine.close()


@pytest.mark.parametrize("damage", ["garbage_toc", "no_toc", "old_version"])
def test_a_damaged_index_is_rebuilt(index_dir, damage):
    docs = [make_doc(1, body="Dongeng anak.")]
    engine = SearchEngine(index_dir, documents_source=lambda: (iter(docs), 1))
    try:
        engine.rebuild(iter(docs))
        engine.store.invalidate()
        tocs = list(index_dir.glob("_MAIN_*.toc"))
        if damage == "garbage_toc":
            tocs[0].write_bytes(b"\x00not a toc")
        elif damage == "no_toc":
            tocs[0].unlink()
        else:
            (index_dir / VERSION_FILE).write_text(json.dumps({"schema_version": 0}))
        assert engine.search("dongeng").message == MESSAGE_REBUILDING
        engine.join_recovery(timeout=30)
        assert found(engine, "dongeng") == [1]
    finally:
        engine.close()


def test_without_a_documents_source_a_missing_index_starts_empty(engine):
    results = engine.search("dongeng")
    assert results.hits == [] and results.message is None
    assert engine.status()["documents"] == 0


def test_status_reports_backlog_and_rebuilding(index, db):
    engine = index(make_doc(1, body="Satu."))
    status = engine.status(db)
    assert status["available"] and status["documents"] == 1
    assert status["outbox_backlog"] == 0
    assert status["rebuilding"] is False


def test_init_app_uses_instance_folder_and_opens_nothing(tmp_path):
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    docs = [make_doc(1, body="Dongeng anak.")]
    search = SearchIndex()
    search.init_app(app, documents_source=lambda: (iter(docs), 1))
    engine = app.extensions["search_index"]
    try:
        assert engine.store.path == tmp_path / "instance" / "search_index"
        assert not engine.store.path.exists()  # nothing happens at app creation
        with app.app_context():
            assert search.search("dongeng").message == MESSAGE_REBUILDING
            engine.join_recovery(timeout=30)
            assert [hit.thread_id for hit in search.search("dongeng").hits] == [1]
            assert search.status()["documents"] == 1
    finally:
        engine.close()


def test_search_index_dir_config_wins(tmp_path):
    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config["SEARCH_INDEX_DIR"] = str(tmp_path / "elsewhere")
    SearchIndex(app)
    engine = app.extensions["search_index"]
    assert engine.store.path == tmp_path / "elsewhere"
    engine.close()


def test_the_extension_drains_into_the_current_apps_index(tmp_path, db):
    from sqlalchemy.orm import sessionmaker

    from tests.search_index.index_helpers import Item

    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    app.config["SEARCH_BACKGROUND_DRAIN"] = False
    search = SearchIndex(app)
    factory = sessionmaker(db)
    search.install_hooks(factory)
    try:
        with app.app_context():
            with factory() as session:
                session.add(Item(id=1, title="", body="Pupuk organik."))
                session.commit()
            assert [hit.thread_id for hit in search.search("pupuk").hits] == [1]
            assert search.status(db)["outbox_backlog"] == 0
    finally:
        app.extensions["search_index"].close()


def test_a_documents_factory_is_read_under_the_write_lock(engine):
    import filelock

    calls = []

    def documents():
        with pytest.raises(filelock.Timeout):  # drains wait: nothing slips past the snapshot
            engine.store.write_lock(0).acquire()
        calls.append("read")
        return iter([make_doc(1, body="Benih padi.")]), 1

    assert engine.rebuild(documents) == 1
    assert engine.check(lambda: (iter([make_doc(1, body="Benih padi.")]), 1)).clean
    assert calls == ["read"]
    assert found(engine, "benih") == [1]
