"""Where the index lives on disk: opening, creating, shared searchers and writers.

A search borrows a searcher from a small pool and gives it back, so searchers
are reused across requests (Whoosh searchers are not safe to share between
threads at the same moment: their postings readers seek a shared file; and
opening one per query costs file handles and time). A borrowed searcher is
brought up to date when another writer committed since (reopening only the
changed segments), and the whole pool is dropped when a rebuild swapped the
directory.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import filelock
from whoosh import index as whoosh_index
from whoosh.index import FileIndex
from whoosh.reading import EmptyReader
from whoosh.reading import IndexReader
from whoosh.reading import MultiReader
from whoosh.reading import SegmentReader
from whoosh.searching import Searcher
from whoosh.writing import SegmentWriter

from .schema import SCHEMA_VERSION
from .schema import build_schema

VERSION_FILE = "serambi-index.json"
POOL_SIZE = 8


class IndexUnavailable(Exception):
    """The index directory is missing, damaged, or from another schema version."""


def write_version(path: Path) -> None:
    """Mark a directory as holding an index of the current schema version."""
    (path / VERSION_FILE).write_text(json.dumps({"schema_version": SCHEMA_VERSION}))


def create_index(path: Path) -> FileIndex:
    """Create an empty index in ``path`` (made if needed)."""
    path.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(path), build_schema())
    write_version(path)
    return ix


def open_index(path: Path) -> FileIndex:
    """Open an existing index, or raise :class:`IndexUnavailable` saying why."""
    try:
        version = json.loads((path / VERSION_FILE).read_text())["schema_version"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise IndexUnavailable(f"no usable index at {path}: {error}") from error
    if version != SCHEMA_VERSION:
        raise IndexUnavailable(f"index at {path} has schema {version}, need {SCHEMA_VERSION}")
    failure = None
    # Whoosh leaves a damaged TOC file open; it is closed (and would warn) when
    # the exception is dropped, here, on this rare path.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            # Our schema, not the pickled one: old pickles of changed analyzers cannot hurt.
            ix = whoosh_index.open_dir(str(path), schema=build_schema())
            ix.doc_count_all()  # reads the segments: fails here, not mid-request
        except Exception as error:  # whoosh raises many kinds for a damaged directory
            failure = repr(error)
        if failure is not None:
            gc.collect()
    if failure is not None:
        raise IndexUnavailable(f"damaged index at {path}: {failure}")
    return ix


def open_or_create(path: str | os.PathLike[str]) -> FileIndex:
    """Open the index in ``path``, creating an empty one if there is none yet."""
    path = Path(path)
    if not (path / VERSION_FILE).exists() and not whoosh_index.exists_in(str(path)):
        return create_index(path)
    return open_index(path)


def _refreshed(ix: FileIndex, old: Searcher) -> Searcher:
    """A searcher on the latest commit, keeping the old one's unchanged segment readers.

    Not ``Searcher.refresh()``: whoosh-reloaded 2.7.5 reuses a segment's reader
    by segment id alone and so keeps serving documents deleted since. Here a
    reader is reused only if its segment has the same number of deletions.
    """
    toc = ix._read_toc()
    reusable = {
        reader.segment().segment_id(): reader
        for reader, _ in old.reader().leaf_readers()
        if reader.segment() is not None  # not an EmptyReader
    }
    readers = []
    for segment in toc.segments:
        reader = reusable.get(segment.segment_id())
        if reader is not None and reader.segment().deleted_count() == segment.deleted_count():
            del reusable[segment.segment_id()]
        else:
            reader = SegmentReader(ix.storage, toc.schema, segment, generation=toc.generation)
        readers.append(reader)
    for reader in reusable.values():
        reader.close()
    if not readers:
        top: IndexReader = EmptyReader(toc.schema)
    elif len(readers) == 1:
        top = readers[0]
    else:
        top = MultiReader(readers, generation=toc.generation)
    return Searcher(top, fromindex=ix)


def lock_path(path: Path, name: str) -> str:
    """A lock file beside (not inside) the index directory, which rebuilds swap."""
    return str(path.parent / f"{path.name}.{name}.lock")


class IndexStore:
    """One index directory as seen by one process: pooled searchers and writers.

    ``create=True`` makes an empty index when there is none (tests, tools, and
    apps without a documents source); otherwise a missing index raises
    :class:`IndexUnavailable` so the caller can rebuild it from the database
    instead of silently serving an empty one.
    """

    def __init__(self, path: str | os.PathLike[str], *, create: bool = False) -> None:
        self.path = Path(path).absolute()
        self.create = create
        self._lock = threading.Lock()
        self._ix: FileIndex | None = None
        self._identity: tuple[int, int] | None = None
        self._pool: list[Searcher] = []
        self._pid = os.getpid()

    # -- opening -------------------------------------------------------------

    def _dir_identity(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self.path)
        except OSError:
            return None
        return (stat.st_dev, stat.st_ino)

    def index(self) -> FileIndex:
        """The open index, reopened if a rebuild swapped the directory."""
        with self._lock:
            if self._pid != os.getpid():
                # A forked child must not share file positions with its parent.
                self._ix, self._identity, self._pool = None, None, []
                self._pid = os.getpid()
            identity = self._dir_identity()
            if self._ix is None or identity != self._identity:
                self._drop_pool()
                if identity is None and not self.create:
                    self._ix = None
                    raise IndexUnavailable(f"no index directory at {self.path}")
                self._ix = open_or_create(self.path) if self.create else open_index(self.path)
                self._identity = self._dir_identity()
            return self._ix

    def _drop_pool(self) -> None:
        for searcher in self._pool:
            with contextlib.suppress(Exception):
                searcher.close()
        self._pool = []

    def invalidate(self) -> None:
        """Forget the open index (after a swap or damage); reopened on next use."""
        with self._lock:
            self._drop_pool()
            self._ix = None
            self._identity = None

    # -- searching -----------------------------------------------------------

    @contextlib.contextmanager
    def searcher(self) -> Iterator[Searcher]:
        """Borrow an up-to-date searcher for one query."""
        ix = self.index()
        with self._lock:
            searcher = self._pool.pop() if self._pool else None
        if searcher is not None and searcher._ix is not ix:
            searcher.close()
            searcher = None
        if searcher is None:
            searcher = ix.searcher()
        elif not searcher.up_to_date():
            searcher = _refreshed(ix, searcher)
        try:
            yield searcher
        finally:
            with self._lock:
                if searcher._ix is self._ix and len(self._pool) < POOL_SIZE:
                    self._pool.append(searcher)
                else:
                    searcher.close()

    # -- writing -------------------------------------------------------------

    def writer(self, timeout: float = 0.0) -> SegmentWriter:
        """A Whoosh writer; raises ``whoosh.index.LockError`` if busy after ``timeout``."""
        return self.index().writer(timeout=timeout, delay=0.05)

    def write_lock(self, timeout: float) -> filelock.FileLock:
        """Serialises drains, repairs and rebuilds across processes (not searches)."""
        return filelock.FileLock(lock_path(self.path, "write"), timeout=timeout)

    def rebuild_lock(self) -> filelock.FileLock:
        """Held by the one process that rebuilds a missing or damaged index."""
        return filelock.FileLock(lock_path(self.path, "rebuild"), timeout=0)

    # -- facts ---------------------------------------------------------------

    def doc_count(self) -> int:
        return self.index().doc_count()

    def segment_count(self) -> int:
        return len(self.index()._segments())
