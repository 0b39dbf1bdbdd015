"""Writing a whole index fast: the rebuild's writer, and one segment per process.

Whoosh's own writer spends most of a rebuild outside analysis (profile of 5,000
posts: 60 % in the final posting write, 20 % in its sorting pool):

- every posting asks the length columns whether the field has one, and for
  fields without lengths (ids, word pairs) the answer is a ``stat()`` each time,
  as it is never remembered;
- the sorting pool spills runs to disk pickling one posting at a time, and
  reads them back the same way.

:class:`BulkWriter` remembers the answer and spills runs in marshalled chunks;
the index it writes is the same, byte for byte. With ``procs > 1``,
:func:`write_index` gives each worker process its own writer and segment and
commits the segments side by side: Whoosh's ``MpWriter`` instead merges the
workers' postings into one segment in the parent, serially, which is why two
processes used to save so little. Searching reads a few segments as fast as one
(the search layer works segment by segment), so the segments are not merged.
"""

from __future__ import annotations

import marshal
import multiprocessing
import queue
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.codec.whoosh3 import W3PerDocReader
from whoosh.codec.whoosh3 import _lenfield
from whoosh.index import FileIndex
from whoosh.util.numeric import byte_to_length
from whoosh.writing import PostingPool
from whoosh.writing import SegmentWriter

from .documents import SearchDocument
from .schema import document_fields

BATCH = 250  # documents per message to a worker process
CHUNK = 20_000  # postings per marshalled chunk of a spilled run
WORKER_WAIT = 1.0  # seconds between checks that the workers are alive


class _Lengths(W3PerDocReader):
    """The new segment's field lengths, each field's column read once into a list."""

    def __init__(self, storage: Any, segment: Any) -> None:
        super().__init__(storage, segment)
        self._lists: dict[str, list[int]] = {}

    def field_lengths(self, fieldname: str) -> list[int]:
        """Each document's length of ``fieldname`` (0 for fields without lengths)."""
        lengths = self._lists.get(fieldname)
        if lengths is None:
            name = _lenfield(fieldname)
            if self.has_column(name):
                column = self.column_reader(name, LENGTHS_COLUMN)
                lengths = [byte_to_length(b) if b else 0 for b in column]
            else:
                lengths = [0] * self._doccount
            self._lists[fieldname] = lengths
        return lengths


class _ChunkedPool(PostingPool):
    """Whoosh's posting pool, spilling sorted runs as marshalled chunks of postings."""

    def add(self, item: tuple) -> None:
        # item = (fieldname, term bytes, docnum, weight, value bytes); the size is
        # Whoosh's estimate of the tuple in memory, without its per-item checks.
        self.currentsize += 150 + len(item[0]) + 2 * len(item[1]) + len(item[4] or b"")
        if self.currentsize > self.limit:
            self.save()
        self.current.append(item)

    def _write_run(self, f: Any, items: Iterable[tuple]) -> None:
        chunk: list[tuple] = []
        for item in items:
            chunk.append(item)
            if len(chunk) >= CHUNK:
                marshal.dump(chunk, f)
                chunk = []
        if chunk:
            marshal.dump(chunk, f)
        f.close()

    def _read_run(self, path: str) -> Iterable[tuple]:
        f = self._open_run(path)
        try:
            while True:
                try:
                    chunk = marshal.load(f)
                except EOFError:
                    return
                yield from chunk
        finally:
            f.close()
            self._remove_run(path)


class BulkWriter(SegmentWriter):
    """A ``SegmentWriter`` for writing many documents at once (see the module's notes)."""

    def __init__(self, ix: FileIndex, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        self.pool = _ChunkedPool(
            self._tempstorage, self.newsegment, limitmb=kwargs.get("limitmb", 128)
        )

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        lengths = _Lengths(self.storage, self.get_segment())
        try:
            _add_postings(self.fieldwriter, self.schema, lengths, self.pool.iter_postings())
        finally:
            lengths.close()
        self.fieldwriter.close()


def _add_postings(fieldwriter: Any, schema: Any, lengths: _Lengths, items: Iterable[tuple]) -> None:
    """Whoosh's ``FieldWriter.add_postings`` for postings known to be in order.

    Its loop re-checks the order and looks up the length of every posting
    through three calls; here each field's lengths are one list.
    """
    field = text = None
    field_lengths: list[int] = []
    add = fieldwriter.add
    for fieldname, btext, docnum, weight, value in items:
        if fieldname != field:
            if text is not None:
                fieldwriter.finish_term()
            if field is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            field, text = fieldname, None
            field_lengths = lengths.field_lengths(fieldname)
        if btext != text:
            if text is not None:
                fieldwriter.finish_term()
            fieldwriter.start_term(btext)
            text = btext
        add(docnum, weight, value or b"", field_lengths[docnum])
    if text is not None:
        fieldwriter.finish_term()
    if field is not None:
        fieldwriter.finish_field()


Progress = Callable[[int], None]


def write_index(
    ix: FileIndex,
    documents: Iterable[SearchDocument],
    procs: int = 1,
    limitmb: int = 256,
    progress: Progress | None = None,
    every: int = 500,
) -> int:
    """Add ``documents`` to the empty index ``ix`` and commit; returns how many.

    ``progress(done)`` is called about every ``every`` documents handed to the
    writer(s). With ``procs > 1`` the index has one segment per process.
    """
    if procs <= 1:
        writer = BulkWriter(ix, limitmb=limitmb)
        done = 0
        try:
            for doc in documents:
                writer.add_document(**document_fields(doc))
                done += 1
                if progress is not None and done % every == 0:
                    progress(done)
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        return done
    return _write_parallel(ix, documents, procs, limitmb, progress, every)


def _worker(ix: FileIndex, limitmb: int, jobs: Any, results: Any) -> None:
    """One segment from the batches on ``jobs``; its Segment goes on ``results``."""
    writer = BulkWriter(ix, _lk=False, limitmb=limitmb)
    while (batch := jobs.get()) is not None:
        for doc in batch:
            writer.add_document(**document_fields(doc))
    results.put(writer._finalize_segment() if writer._added else None)


def _write_parallel(
    ix: FileIndex,
    documents: Iterable[SearchDocument],
    procs: int,
    limitmb: int,
    progress: Progress | None,
    every: int,
) -> int:
    context = multiprocessing.get_context("fork")  # workers inherit the open index
    jobs = context.Queue(procs * 2)  # a short queue: progress follows the workers
    results = context.Queue()
    workers = [
        context.Process(target=_worker, args=(ix, limitmb, jobs, results), daemon=True)
        for _ in range(procs)
    ]
    parent = ix.writer()  # holds the index's lock; commits the workers' segments
    done = reported = 0
    try:
        for worker in workers:
            worker.start()
        batch: list[SearchDocument] = []
        for doc in documents:
            batch.append(doc)
            if len(batch) >= BATCH:
                _put(jobs, batch, workers)
                done += len(batch)
                batch = []
                if progress is not None and done - reported >= every:
                    progress(done)
                    reported = done
        if batch:
            _put(jobs, batch, workers)
            done += len(batch)
        for _ in workers:
            _put(jobs, None, workers)
        segments = [_get(results, workers) for _ in workers]
        parent._close_segment()
        parent._commit_toc([segment for segment in segments if segment is not None])
        parent._finish()
    except BaseException:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
        parent.cancel()
        raise
    finally:
        for worker in workers:
            worker.join()
    return done


def _check(workers: list[Any]) -> None:
    failed = [w.exitcode for w in workers if w.exitcode not in (None, 0)]
    if failed:
        raise RuntimeError(f"an index writer process failed (exit code {failed[0]})")


def _put(jobs: Any, item: Any, workers: list[Any]) -> None:
    while True:
        try:
            jobs.put(item, timeout=WORKER_WAIT)
            return
        except queue.Full:
            _check(workers)


def _get(results: Any, workers: list[Any]) -> Any:
    while True:
        try:
            return results.get(timeout=WORKER_WAIT)
        except queue.Empty:
            _check(workers)
