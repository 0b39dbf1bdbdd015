"""Reindex from the database's documents, and check (or repair) drift between the two.

A rebuild writes a fresh index in a temporary directory beside the live one
and swaps it in with renames, so searches keep using the old index until the
new one is complete. It holds the index write lock throughout: drains wait
(their outbox rows stay pending and are applied to the new index afterwards),
which is what keeps a change committed mid-rebuild from being lost. So the
documents must be read after the lock is taken: pass a lazy iterable, or a
callable that opens the database snapshot and returns them.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from whoosh.writing import MERGE_SMALL

from .bulk import write_index
from .documents import SearchDocument
from .schema import DIGEST
from .schema import KEY
from .schema import document_digest
from .schema import document_fields
from .store import IndexStore
from .store import create_index

Progress = Callable[[int], None]
# Documents, or a zero-argument callable returning them (or ``(documents, total)``).
# A callable is called once the index write lock is held: open the database
# snapshot inside it, so no change can be drained into the old index after the
# snapshot was taken and then be lost in the swap.
Documents = Iterable[SearchDocument] | Callable[[], object]
REBUILD_LOCK_TIMEOUT = 60.0  # waiting for a drain or another repair to finish
PROGRESS_EVERY = 500


def _documents(documents: Documents) -> Iterable[SearchDocument]:
    """The documents, calling a factory now (under the lock) if given one."""
    if callable(documents):
        documents = documents()  # type: ignore[assignment]
        if isinstance(documents, tuple):  # (documents, total)
            documents = documents[0]
    return documents  # type: ignore[return-value]


def _unique(documents: Iterable[SearchDocument]) -> Iterator[SearchDocument]:
    """Each key once (the first version seen)."""
    seen: set[str] = set()
    for doc in documents:
        if doc.key not in seen:
            seen.add(doc.key)
            yield doc


def _report(progress: Progress | None, done: int) -> None:
    if progress is not None:
        progress(done)


def swap_in(new: Path, live: Path) -> None:
    """Replace ``live`` with ``new`` (two renames; old files vanish when last closed)."""
    old = live.parent / f".{live.name}.old-{os.getpid()}-{secrets.token_hex(3)}"
    if live.exists():
        os.rename(live, old)
    os.rename(new, live)
    shutil.rmtree(old, ignore_errors=True)


def rebuild(
    store: IndexStore,
    documents: Documents,
    total: int | None = None,
    progress: Progress | None = None,
    procs: int = 1,
    limitmb: int = 256,
) -> int:
    """Build a complete new index from ``documents`` and swap it in; returns the count.

    ``progress(n_done)`` is called every few hundred documents and at the end;
    ``total`` is only for the caller's progress bar. ``procs > 1`` writes one
    segment per process (:mod:`.bulk`; CLI reindex on a machine with spare cores).
    """
    live = store.path
    live.parent.mkdir(parents=True, exist_ok=True)
    temporary = live.parent / f".{live.name}.rebuild-{os.getpid()}-{secrets.token_hex(3)}"
    done = 0
    try:
        with store.write_lock(REBUILD_LOCK_TIMEOUT):
            ix = create_index(temporary)
            done = write_index(
                ix, _unique(_documents(documents)), procs, limitmb, progress, PROGRESS_EVERY
            )
            ix.close()
            swap_in(temporary, live)
            store.invalidate()
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    _report(progress, done)
    return done


@dataclass
class DriftReport:
    """Differences between the database's documents and the index."""

    missing: list[str] = field(default_factory=list)  # in the database, not indexed
    extra: list[str] = field(default_factory=list)  # indexed, not (or no longer) searchable
    stale: list[str] = field(default_factory=list)  # indexed with an older version
    checked: int = 0  # documents the database offered
    repaired: bool = False

    @property
    def clean(self) -> bool:
        return not (self.missing or self.extra or self.stale)


def indexed_digests(store: IndexStore) -> dict[str, str]:
    """key -> digest for every live document, read from the columns."""
    with store.searcher() as searcher:
        reader = searcher.reader()
        keys = reader.column_reader(KEY)
        digests = reader.column_reader(DIGEST)
        return {keys[docnum]: digests[docnum] for docnum in reader.all_doc_ids()}


def check(
    store: IndexStore,
    documents: Documents,
    repair: bool = False,
    progress: Progress | None = None,
) -> DriftReport:
    """Compare keys and digests; with ``repair``, index the missing and stale, drop the extra."""
    report = DriftReport()
    with store.write_lock(REBUILD_LOCK_TIMEOUT):
        indexed = indexed_digests(store)
        fixes: list[SearchDocument] = []
        seen: set[str] = set()
        for doc in _documents(documents):
            report.checked += 1
            if report.checked % PROGRESS_EVERY == 0:
                _report(progress, report.checked)
            seen.add(doc.key)
            digest = indexed.get(doc.key)
            if digest is None:
                report.missing.append(doc.key)
            elif digest != document_digest(doc):
                report.stale.append(doc.key)
            else:
                continue
            if repair:
                fixes.append(doc)
        report.extra = sorted(set(indexed) - seen)
        if repair and not report.clean:
            writer = store.writer(timeout=REBUILD_LOCK_TIMEOUT)
            try:
                for key in report.extra:
                    writer.delete_by_term(KEY, key)
                for doc in fixes:
                    writer.update_document(**document_fields(doc))
                writer.commit(mergetype=MERGE_SMALL)
            except BaseException:
                writer.cancel()
                raise
            report.repaired = True
    _report(progress, report.checked)
    return report
