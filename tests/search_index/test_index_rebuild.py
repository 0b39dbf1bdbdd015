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


SENTENCES = [
    "Pelatihan relawan perpustakaan desa tiap Sabtu, yg datang makin banyak.",
    "Buku tidak dikembalikan? Kami catat di buku besar dan kunjungi rumahnya.",
    "Minat baca anak-anak naik setelah pojok baca dibuka di balai desa.",
    "Café literasi: mendongeng, menulis, dan membaca bersama warga.",
    "Motor pustaka keliling ke grumbul atas dua kali seminggu.",
]


def varied_docs(count: int, start: int = 1) -> list:
    """Posts of several threads with overlapping words (shared terms, repeated words)."""
    return [
        make_doc(
            i,
            thread_id=start + (i - start) // 3 * 3,
            body=" ".join(SENTENCES[(i + k) % len(SENTENCES)] for k in range(1 + i % 4)),
            tags=("literasi",) if i % 2 else (),
            extra="Laporan: hasil kegiatan." if i % 5 == 0 else "",
        )
        for i in range(start, start + count)
    ]


def index_contents(ix) -> tuple:
    """Every posting (with its positions and its block's lengths), stored field, column, length."""
    with ix.reader() as reader:
        schema = reader.schema
        postings = {}
        for name in schema.names():
            if schema[name].indexed:
                for term in reader.lexicon(name):
                    matcher = reader.postings(name, term)
                    items = []
                    while matcher.is_active():
                        block = (matcher.block_min_length(), matcher.block_max_length())
                        items.append((matcher.id(), matcher.weight(), matcher.value(), block))
                        matcher.next()
                    postings[name, term] = items
        docs = range(reader.doc_count_all())
        stored = [reader.stored_fields(d) for d in docs]
        columns = {n: list(reader.column_reader(n)) for n in schema.names() if reader.has_column(n)}
        lengths = {n: [reader.doc_field_length(d, n) for d in docs] for n in schema.names()}
    return postings, stored, columns, lengths


def test_the_rebuild_writes_what_whoosh_writes(tmp_path, monkeypatch):
    """The rebuild's writer (one-pass analysis, postings in memory, spilled runs, terms'
    blocks encoded whole, listed lengths) changes no byte of what is indexed: the same as
    Whoosh's own writer, also when its postings spill to disk in runs and a term's blocks
    (128 postings each) span several runs."""
    from whoosh.fields import FieldType

    from search_index import bulk
    from search_index.bulk import write_index
    from search_index.schema import PairsField
    from search_index.schema import WordsField
    from search_index.schema import document_fields
    from search_index.store import create_index

    spills = []
    spill = bulk.BulkWriter._spill
    monkeypatch.setattr(bulk.BulkWriter, "_spill", lambda w: spills.append(1) or spill(w))
    docs = varied_docs(300)
    ours = create_index(tmp_path / "ours")
    assert write_index(ours, iter(docs), procs=1, limitmb=0.2) == 300  # runs of ~25 posts
    assert len(spills) > 5
    monkeypatch.setattr(WordsField, "index", FieldType.index)  # Whoosh's generic analysis
    monkeypatch.setattr(PairsField, "index", FieldType.index)
    whoosh = create_index(tmp_path / "whoosh")
    with whoosh.writer(limitmb=1) as writer:
        for doc in docs:
            writer.add_document(**document_fields(doc))
    assert index_contents(whoosh) == index_contents(ours)
    assert segment_files(whoosh) == segment_files(ours)  # and every file, byte for byte


def segment_files(ix) -> dict[str, bytes]:
    """The files inside the index's one (compound) segment, by extension."""
    from whoosh.filedb.compound import CompoundStorage

    (segment,) = ix._segments()
    name = segment.make_filename(".seg")
    compound = CompoundStorage(ix.storage.open_file(name), use_mmap=False)
    try:
        files = compound.list()
        return {inner.split(".", 1)[-1]: compound.open_file(inner).read() for inner in files}
    finally:
        compound.close()


def test_two_writer_processes_find_and_rank_as_one(engine, tmp_path, monkeypatch):
    """``procs=2`` (one segment per process, no merge) answers every query as one process."""
    from search_index import bulk

    monkeypatch.setattr(bulk, "BATCH", 10)  # both processes get posts
    docs = varied_docs(90)
    single = SearchEngine(tmp_path / "single", background=False)
    single.rebuild(iter(docs))
    seen: list[int] = []
    assert engine.rebuild(iter(docs + docs[:5]), progress=seen.append, procs=2) == 90
    assert seen[-1] == 90
    assert engine.store.segment_count() == 2
    for query in ["pelatihan relawan", '"pojok baca"', "buku dikembalikan", "literasi", "laporan"]:
        ours, theirs = engine.search(query), single.search(query)
        assert ours.total == theirs.total > 0
        assert [(h.thread_id, h.post_id) for h in ours.hits] == [
            (h.thread_id, h.post_id) for h in theirs.hits
        ]
    assert engine.check(docs).clean
    single.close()


def test_a_failed_writer_process_fails_the_rebuild_and_keeps_the_index(engine, monkeypatch):
    from search_index import bulk

    engine.rebuild(iter([make_doc(1, body="Pupuk lama.")]))
    fields = bulk.document_fields

    def broken(doc):
        if doc.post_id == 50:
            raise ValueError("damaged post")
        return fields(doc)

    monkeypatch.setattr(bulk, "BATCH", 10)
    monkeypatch.setattr(bulk, "document_fields", broken)  # forked workers inherit it
    with pytest.raises(RuntimeError, match="index writer process failed"):
        engine.rebuild(iter(varied_docs(90, start=2)), procs=2)
    assert found(engine, "pupuk") == [1]
