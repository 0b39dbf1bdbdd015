"""Writing a whole index fast: the rebuild's writer, and one segment per process.

Whoosh's own writer spends most of a rebuild outside analysis: each posting
becomes a tuple in a sorting pool (sorted, spilled to disk and read back one
by one), then goes through the posting writer one call at a time, with its
checks and per-posting block statistics, and every posting asks the length
columns for its document's length (a ``stat()`` each time for fields without
lengths).

:class:`BulkWriter` keeps the postings as an inverted index in memory (term ->
flat list of postings, already in document order, so only the terms are
sorted), spills it as sorted runs of whole terms when it grows past
``limitmb``, reads each field's lengths once, and encodes each term's blocks
in a few bulk steps (:func:`_write_postings`). The index it writes is the
same, byte for byte. With ``procs > 1``, :func:`write_index` gives each
worker process its own writer and segment and commits the segments side by
side: Whoosh's ``MpWriter`` instead merges the workers' postings into one
segment in the parent, serially, which is why two processes used to save so
little. Searching reads a few segments as fast as one (the search layer works
segment by segment), so the segments are not merged.
"""

from __future__ import annotations

import gc
import heapq
import marshal
import multiprocessing
import queue
import struct
from array import array
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from datetime import datetime
from hashlib import md5
from operator import sub
from pickle import dumps
from typing import Any
from zlib import compress

from whoosh.analysis import IDTokenizer
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC
from whoosh.codec.whoosh3 import W3Codec
from whoosh.codec.whoosh3 import W3PerDocReader
from whoosh.codec.whoosh3 import W3TermInfo
from whoosh.codec.whoosh3 import _lenfield
from whoosh.fields import DATETIME
from whoosh.fields import ID
from whoosh.filedb.filetables import md5_hash
from whoosh.index import FileIndex
from whoosh.system import pack_int
from whoosh.system import pack_long
from whoosh.system import pack_ushort
from whoosh.util import random_name
from whoosh.util.numeric import byte_to_length
from whoosh.util.numeric import length_to_byte
from whoosh.util.numeric import to_sortable
from whoosh.util.times import datetime_to_long
from whoosh.writing import SegmentWriter

from .documents import SearchDocument
from .schema import document_fields

BATCH = 250  # documents per message to a worker process
CHUNK = 2_000  # terms per marshalled chunk of a spilled run
WRITE_EVERY = 30_000  # pieces of the files kept before writing them
_TERMINFO = W3TermInfo._struct
_KEY_LENGTHS = struct.Struct("!ii")  # filetables' key and value lengths
_CHUNK_LENGTH = struct.Struct("<Q")  # a spilled chunk's length
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


# Postings in memory: field name -> term -> one flat list [docnum, weight, value, ...]
# in document order (documents arrive in order, so no posting is ever sorted).
Terms = dict[str, dict[bytes, list]]
POSTING_BYTES = 50  # memory a posting takes in the flat lists, about (measured 45)
TERM_BYTES = 250  # and a term (its key, its list, the dict's slot), about


class BulkWriter(SegmentWriter):
    """A ``SegmentWriter`` for writing many documents at once (see the module's notes)."""

    def __init__(self, ix: FileIndex, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        self._limit = kwargs.get("limitmb", 128) * 1024 * 1024
        self._terms: Terms = {}
        self._size = 0
        self._runs: list[str] = []
        self._fast = {
            name: field.fast() for name, field in self.schema.items() if hasattr(field, "fast")
        }
        for name, field in self.schema.items():
            if field.separate_spelling() or field.vector:
                raise ValueError(f"BulkWriter writes no spelling or vectors (field {name})")

    def add_document(self, **fields: Any) -> None:
        """Whoosh's ``SegmentWriter.add_document``, postings going to :attr:`_terms`."""
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)
        all_terms = self._terms
        size = 0
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields.get(fieldname)
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    fieldboost = self._field_boost(fields, fieldname, docboost)
                    terms = all_terms.get(fieldname)
                    if terms is None:
                        terms = all_terms[fieldname] = {}
                    before = len(terms)
                    if fieldboost == 1.0 and self._fast.get(fieldname) and isinstance(value, str):
                        count, postings = field.add_postings(value, docnum, terms)
                        if field.scorable:
                            length = count
                        size += TERM_BYTES * (len(terms) - before) + POSTING_BYTES * postings
                    else:
                        scorable = field.scorable
                        quick = _QUICK.get(type(field))
                        items = quick(field, value) if quick is not None else None
                        for tbytes, freq, weight, vbytes in items or field.index(value):
                            weight *= fieldboost
                            if scorable:
                                length += freq
                            postings = terms.get(tbytes)
                            if postings is None:
                                terms[tbytes] = [docnum, weight, vbytes]
                            else:
                                postings += (docnum, weight, vbytes)
                            size += POSTING_BYTES
                        size += TERM_BYTES * (len(terms) - before)
                customval = fields.get(f"_stored_{fieldname}", value)
                stored = customval if field.stored else None
                perdocwriter.add_field(fieldname, field, stored, length)
                column = field.column_type
                if column and customval is not None:
                    column_value = field.to_column_value(customval)
                    perdocwriter.add_column_value(fieldname, column, column_value)
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1
        self._size += size
        if self._size > self._limit:
            self._spill()

    def _spill(self) -> None:
        """Write the postings in memory to a sorted run on disk and start again.

        A run is a series of marshalled chunks of terms, each behind its length:
        ``marshal.load`` from a file reads object by object through the file's
        methods, several times slower than loading bytes read at once."""
        name = f"{random_name()}.run"
        f = self._tempstorage.create_file(name).raw_file()
        chunk: list[tuple] = []
        for item in _sorted_terms(self._terms):
            chunk.append(item)
            if len(chunk) >= CHUNK:
                _write_chunk(f, chunk)
                chunk = []
        if chunk:
            _write_chunk(f, chunk)
        f.close()
        self._runs.append(name)
        self._terms = {}
        self._size = 0

    def _read_run(self, name: str) -> Iterator[tuple]:
        f = self._tempstorage.open_file(name).raw_file()
        try:
            while header := f.read(_CHUNK_LENGTH.size):
                (size,) = _CHUNK_LENGTH.unpack(header)
                yield from marshal.loads(f.read(size))
        finally:
            f.close()
            self._tempstorage.delete_file(name)

    def _all_terms(self) -> Iterator[tuple[str, bytes, list]]:
        """Every (field, term, flat postings) in order, the runs and memory merged."""
        if not self._runs:
            return _sorted_terms(self._terms)
        runs, self._runs = self._runs, []
        sources = [*(self._read_run(name) for name in runs), _sorted_terms(self._terms)]
        return _joined(heapq.merge(*sources))

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        lengths = _Lengths(self.storage, self.get_segment())
        try:
            _write_postings(self.fieldwriter, self.schema, lengths, self._all_terms())
        finally:
            lengths.close()
        self.fieldwriter.close()
        self._terms = {}


def _id_terms(field: ID, value: Any) -> list[tuple[bytes, int, float, bytes]] | None:
    """``ID.index(value)`` for a plain ID field (the value is its one term)."""
    if type(field.analyzer) is not IDTokenizer or not isinstance(value, str):
        return None
    return [(value.encode("utf-8"), 1, field.format.field_boost, b"")]


def _datetime_terms(field: DATETIME, value: Any) -> list[tuple[bytes, int, float, bytes]] | None:
    """``DATETIME.index(value)``, the value converted once rather than once a term."""
    if type(value) is not datetime:
        return None
    number = field.prepare_number(datetime_to_long(value))
    x = to_sortable(field.numtype, field.bits, field.signed, number)
    if not field.shift_step:
        return [(field.sortable_to_bytes(x), 1, 1.0, b"")]
    to_bytes = field.sortable_to_bytes
    return [(to_bytes(x, shift), 1, 1.0, b"") for shift in range(0, field.bits, field.shift_step)]


# Whoosh's field types whose terms can be made more cheaply than by their index().
_QUICK: dict[type, Callable[[Any, Any], list | None]] = {ID: _id_terms, DATETIME: _datetime_terms}


def _write_chunk(f: Any, chunk: list[tuple]) -> None:
    data = marshal.dumps(chunk)
    f.write(_CHUNK_LENGTH.pack(len(data)))
    f.write(data)


def _sorted_terms(terms: Terms) -> Iterator[tuple[str, bytes, list]]:
    for fieldname in sorted(terms):
        field_terms = terms[fieldname]
        for term in sorted(field_terms):
            yield fieldname, term, field_terms[term]


def _joined(items: Iterable[tuple[str, bytes, list]]) -> Iterator[tuple[str, bytes, list]]:
    """Runs merged in order: a term found in several runs gets its postings joined.
    Items of one term compare by their postings, so by their first document: each
    run holds later documents than the one before, so they come in run order."""
    last = None
    for item in items:
        if last is not None and item[1] == last[1] and item[0] == last[0]:
            last[2].extend(item[2])
        else:
            if last is not None:
                yield last
            last = item
    if last is not None:
        yield last


def _write_postings(fieldwriter: Any, schema: Any, lengths: _Lengths, items: Iterable) -> None:
    """Write every term's postings as Whoosh's W3 field writer does, byte for byte.

    Whoosh takes one posting at a time (``start_term``, ``add``, ``finish_term``:
    checks, per-posting block statistics, a term-info object and a file write
    or two per term); here each term's postings arrive whole, so each block's
    lists, statistics and bytes are made in a few bulk steps and the files are
    written in large pieces. The same layout: per term the block header, then
    blocks of ``blocklimit`` postings (pickled ids deltas, weights and values,
    compressed) each behind its pickled block info; the term index gets the
    same keys, term infos, hash buckets and key positions.
    """
    codec = fieldwriter._codec
    if not isinstance(codec, W3Codec) or codec._inlinelimit > 1:  # inlined postings
        _add_postings_one_by_one(fieldwriter, schema, lengths, items)
        return
    blocklimit, comp = codec._blocklimit, codec._compression
    postfile = fieldwriter._postfile
    tindex = fieldwriter._tindex
    fieldmap = fieldwriter._fieldmap
    buckets = tindex.buckets
    hashfn = _md5_hash if tindex.hashfn is md5_hash else tindex.hashfn
    offset, key_offset = postfile.tell(), tindex.dbfile.tell()
    posts: list[bytes] = []
    keys: list[bytes] = []
    key_positions: list[int] = []
    field = None
    prefix = b""
    fixed: int | None = None
    field_lengths: list[int] = []
    has_lengths = False
    key = b""
    for fieldname, term, flat in items:
        if fieldname != field:
            field = fieldname
            fieldid = fieldmap.setdefault(fieldname, len(fieldmap))
            prefix = pack_ushort(fieldid)
            fixed = schema[fieldname].format.fixed_value_size()
            field_lengths = lengths.field_lengths(fieldname)
            has_lengths = any(field_lengths)
        ids = flat[0::3]
        weights = flat[1::3]
        values = flat[2::3] if fixed != 0 else None
        count = len(ids)
        start = offset
        posts.append(WHOOSH3_HEADER_MAGIC)
        offset += 4
        total_weight = 0
        term_maxweight = 0
        term_minlength = None
        term_maxlength = 0
        for first in range(0, count, blocklimit):
            if count <= blocklimit:
                block_ids, block_weights, block_values = ids, weights, values
            else:
                end = first + blocklimit
                block_ids, block_weights = ids[first:end], weights[first:end]
                block_values = values[first:end] if values is not None else None
            size = len(block_ids)
            # Statistics: W3PostingsWriter.add_posting and W3TermInfo.add_block.
            if has_lengths:
                found = [n for n in map(field_lengths.__getitem__, block_ids) if n]
                minlength = min(found) if found else None
                maxlength = max(found) if found else 0
            else:
                minlength, maxlength = None, 0
            floats = array("f", block_weights)  # the block keeps its weights as 32 bits
            top = max(block_weights)
            maxweight = top if top > 0 else 0
            total_weight += sum(floats)
            term_maxweight = max(term_maxweight, maxweight)
            if term_minlength is None:
                term_minlength = minlength
            else:
                term_minlength = min(term_minlength, minlength)
            term_maxlength = max(term_maxlength, maxlength)
            # The block: W3PostingsWriter._write_block and its _mini_* methods.
            if size == 1:
                mini_ids: tuple = (block_ids[0],)
            else:
                mini_ids = (block_ids[0], *map(sub, block_ids[1:], block_ids[:-1]))
            weight = floats[0]
            if floats.count(weight) == size:
                mini_weights: Any = None if weight == 1.0 else weight
            else:
                mini_weights = tuple(floats)
            if block_values is None:
                mini_values: Any = None
            elif fixed is None:
                if not all(block_values):
                    block_values = list(filter(None, block_values))
                mini_values = tuple(block_values)
            else:
                mini_values = b"".join(filter(None, block_values))
            data = dumps((mini_ids, mini_weights, mini_values), 2)
            if comp:
                data = compress(data, comp)
            info = dumps(
                (
                    size,
                    block_ids[-1],
                    maxweight,
                    comp,
                    length_to_byte(minlength),
                    length_to_byte(maxlength),
                ),
                2,
            )
            length = len(info) + len(data)
            posts += (pack_int(-length if first + blocklimit >= count else length), info, data)
            offset += 4 + length
        # The term's info (W3TermInfo.to_bytes) under its key (OrderedHashWriter.add).
        terminfo = (
            _TERMINFO.pack(
                0,
                total_weight,
                count,
                0 if term_minlength is None else length_to_byte(term_minlength),
                length_to_byte(term_maxlength),
                term_maxweight,
                ids[0],
                ids[-1],
            )
            + pack_long(start)
            + pack_int(offset - start)
        )
        key = prefix + term
        key_positions.append(key_offset)
        hashed = hashfn(key)
        buckets[hashed & 255].append((hashed, key_offset))
        keys += (_KEY_LENGTHS.pack(len(key), len(terminfo)), key, terminfo)
        key_offset += 8 + len(key) + len(terminfo)
        if len(keys) >= WRITE_EVERY:
            postfile.write(b"".join(posts))
            tindex.dbfile.write(b"".join(keys))
            posts, keys = [], []
    postfile.write(b"".join(posts))
    tindex.dbfile.write(b"".join(keys))
    if key_positions:
        tindex.index.array = array(_positions_type(max(key_positions)), key_positions)
        tindex.lastkey = key


def _md5_hash(key: bytes) -> int:
    """``filetables.md5_hash``: the digest's low 32 bits, without the hex round trip."""
    return int.from_bytes(md5(key, usedforsecurity=False).digest()[12:], "big")


def _positions_type(largest: int) -> str:
    """The array type ``GrowableArray("H")`` ends with after appending up to ``largest``."""
    if largest < 2**16:
        return "H"
    if largest < 2**31:
        return "i"
    return "I" if largest < 2**32 else "q"


def _add_postings_one_by_one(fieldwriter: Any, schema: Any, lengths: _Lengths, items: Any) -> None:
    """Whoosh's own posting writer, one posting at a time (codecs other than W3's)."""
    field = None
    field_lengths: list[int] = []
    for fieldname, term, flat in items:
        if fieldname != field:
            if field is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            field = fieldname
            field_lengths = lengths.field_lengths(fieldname)
        fieldwriter.start_term(term)
        for i in range(0, len(flat), 3):
            docnum = flat[i]
            fieldwriter.add(docnum, flat[i + 1], flat[i + 2] or b"", field_lengths[docnum])
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
    """One segment from the batches on ``jobs``; its Segment goes on ``results``.

    Without the cyclic garbage collector: the writer's postings are millions of
    lists that live until the end, which each full collection walks again (a
    fifth of a 20,000-post build), and a writer process makes no cycles to collect.
    """
    gc.disable()
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
