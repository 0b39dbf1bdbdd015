"""Matching document sets without scoring, and cached per-segment columns.

Counting matching *threads*, sorting by newest and finding each thread's best
post touch every matching post; walking Whoosh's matcher trees for that costs
tens of microseconds a post. Here each term's posting list is read block by
block into a set and the query tree is evaluated with set operations, 20-50
times cheaper. Scoring then runs only on the posts that need a score, through
:class:`DocSet`. Segment columns (post -> thread, last activity, opening?) are
read once per segment and cached: a segment never changes its documents.
"""

from __future__ import annotations

import pickle
import threading
from array import array
from bisect import bisect_right
from collections import Counter
from collections import OrderedDict
from dataclasses import dataclass
from dataclasses import field
from itertools import accumulate

from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.codec.whoosh3 import _lenfield
from whoosh.matching import Matcher
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from . import schema as f
from .whoosh_queries import segment_id

CACHED_SEGMENTS = 256


@dataclass(frozen=True)
class SegmentColumns:
    """Per-document facts of one segment, by local document number."""

    thread: list[int]
    last_activity: list[int]  # the thread's last activity, as Whoosh's sortable number
    openings: frozenset[int]  # opening posts
    lifted: frozenset[int] = frozenset()  # solved threads' posts, openings with report sections
    verified: frozenset[int] = frozenset()  # verified practices' posts


_columns: OrderedDict[str, SegmentColumns] = OrderedDict()


def _with_sections(reader: IndexReader, openings: frozenset[int]) -> frozenset[int]:
    """Opening posts with words in ``extra`` (a practice's report sections, attachments)."""
    perdoc = reader._perdoc  # the length columns are not schema fields
    name = _lenfield(f.EXTRA)
    if not perdoc.has_column(name):
        return frozenset()
    lengths = perdoc.column_reader(name, LENGTHS_COLUMN)
    return frozenset(d for d in openings if lengths[d])


def segment_columns(leaf: Searcher) -> SegmentColumns:
    """The cached columns of one segment (``leaf`` is a single-segment searcher)."""
    key = segment_id(leaf)
    columns = _columns.get(key)
    if columns is None:
        reader = leaf.reader()
        thread = [int(v or 0) for v in reader.column_reader(f.THREAD_ID)]
        last = list(reader.column_reader(f.LAST_ACTIVITY, translate=False))
        openings = frozenset(term_postings(reader, f.IS_OPENING, b"t").ids)
        solved = frozenset(term_postings(reader, f.SOLVED, b"t").ids)
        verified = frozenset(term_postings(reader, f.VERIFIED, b"t").ids)
        columns = SegmentColumns(
            thread, last, openings, solved | _with_sections(reader, openings), verified
        )
        _columns[key] = columns
        while len(_columns) > CACHED_SEGMENTS:
            _columns.popitem(last=False)
    else:
        _columns.move_to_end(key)
    return columns


MAX_CACHED_POSTINGS = 4_000_000  # decoded postings kept across queries (~32 MB)


@dataclass(frozen=True)
class Postings:
    """One term's posting list in one segment, decoded (deleted documents included)."""

    ids: array[int]  # ascending local docnums (arrays: 8 bytes a posting, not ~70)
    weights: array[float]  # term frequency in each


_postings: OrderedDict[tuple[str, str, bytes], Postings] = OrderedDict()
_postings_size = 0
_postings_lock = threading.Lock()


def _decode(matcher: Matcher) -> Postings:
    ids: list[int] = []
    weights: list[float] = []
    if isinstance(matcher, W3LeafMatcher):
        # Whole blocks at a time, skipping Whoosh's per-posting generator.
        while matcher.is_active():
            if matcher._data is None:
                matcher._read_data()
            raw_ids, raw_weights = matcher._data[0], matcher._data[1]
            block = raw_ids if matcher._byteids else list(accumulate(raw_ids))
            ids.extend(block)
            if raw_weights is None:
                weights.extend([1.0] * len(block))
            elif isinstance(raw_weights, float):
                weights.extend([raw_weights] * len(block))
            else:
                weights.extend(raw_weights)
            matcher._next_block()
    else:  # short lists stored inline in the term dictionary
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
    return Postings(array("i", ids), array("f", weights))


def term_postings(reader: IndexReader, fieldname: str, text: bytes) -> Postings:
    """The decoded postings of a term in one segment reader (cached, LRU by size)."""
    global _postings_size
    key = (reader.segment().segment_id(), fieldname, text)
    with _postings_lock:
        postings = _postings.get(key)
        if postings is not None:
            _postings.move_to_end(key)
            return postings
    if (fieldname, text) not in reader:
        postings = Postings(array("i"), array("f"))
    else:
        fmt = reader.schema[fieldname].format
        postings = _decode(reader._terms.matcher(fieldname, text, fmt, scorer=None))
    with _postings_lock:
        if key not in _postings:
            _postings[key] = postings
            _postings_size += len(postings.ids)
            while _postings_size > MAX_CACHED_POSTINGS and len(_postings) > 1:
                _, dropped = _postings.popitem(last=False)
                _postings_size -= len(dropped.ids)
    return postings


def _term_docs(leaf: Searcher, term: wq.Term) -> set[int]:
    reader = leaf.reader()
    if term.fieldname not in reader.schema:
        return set()
    try:
        text = reader.schema[term.fieldname].to_bytes(term.text)
    except ValueError:
        return set()
    docs = set(term_postings(reader, term.fieldname, text).ids)
    if reader.has_deletions():
        docs -= reader.deleted_docs_set
    return docs


Memo = dict[tuple[str, wq.Query], set[int]]


def leaf_docs(leaf: Searcher, q: wq.Query, memo: Memo | None = None) -> set[int]:
    """Local docnums in one segment matching ``q`` (same semantics as Whoosh's matchers).

    ``memo`` remembers subquery results for one request (the same clauses are
    evaluated for the total and again for coordination). Callers must not
    modify the returned sets.
    """
    key = (segment_id(leaf), q)  # by value: equal queries match the same posts
    if memo is not None and key in memo:
        return memo[key]
    result = _evaluate(leaf, q, memo)
    if memo is not None:
        memo[key] = result
    return result


def _evaluate(leaf: Searcher, q: wq.Query, memo: Memo | None) -> set[int]:
    if q is wq.NullQuery:
        return set()
    if isinstance(q, wq.Term):
        return _term_docs(leaf, q)
    if isinstance(q, wq.Or | wq.DisjunctionMax):
        result: set[int] = set()
        for sub in q.subqueries:
            result |= leaf_docs(leaf, sub, memo)
        return result
    if isinstance(q, wq.And):
        parts = sorted((leaf_docs(leaf, sub, memo) for sub in q.subqueries), key=len)
        result = set(parts[0]) if parts else set()
        for part in parts[1:]:
            result &= part
        return result
    if isinstance(q, wq.Require):
        return leaf_docs(leaf, q.a, memo) & leaf_docs(leaf, q.b, memo)
    if isinstance(q, wq.AndNot):
        return leaf_docs(leaf, q.a, memo) - leaf_docs(leaf, q.b, memo)
    if isinstance(q, wq.Every):
        return set(leaf.reader().all_doc_ids())
    if isinstance(q, wq.Phrase) and q.slop == 1:
        return _phrase_docs(leaf, q, memo)
    return set(q.docs(leaf))  # date ranges and the like: Whoosh's own


def _phrase_docs(leaf: Searcher, q: wq.Phrase, memo: Memo | None) -> set[int]:
    """Posts with the words at consecutive positions.

    Candidates come from the cached doc sets; positions are decoded only in
    posting blocks that hold a candidate (Whoosh's span matchers cost ~25 µs a
    candidate, too much for a phrase of two common words).
    """
    words = [wq.Term(q.fieldname, word) for word in q.words]
    candidates = set.intersection(*(leaf_docs(leaf, word, memo) for word in words))
    if not candidates:
        return candidates
    reader = leaf.reader()
    field = reader.schema[q.fieldname]
    positions = [
        _positions(reader, q.fieldname, field.to_bytes(word), candidates) for word in q.words
    ]
    matches = set()
    for docnum in candidates:
        starts = positions[0][docnum]
        for offset, later in enumerate(positions[1:], 1):
            following = later[docnum]
            starts = {p for p in starts if p + offset in following}
            if not starts:
                break
        else:
            matches.add(docnum)
    return matches


def _decode_positions(value: bytes) -> set[int]:
    """Whoosh's Positions.decode_positions without its per-position Python loop."""
    if not value.endswith(b"."):
        value += b"."
    return set(accumulate(pickle.loads(value[4:])))


def _positions(
    reader: IndexReader, fieldname: str, text: bytes, docs: set[int]
) -> dict[int, set[int]]:
    """Word positions of ``text`` in each of ``docs`` (which all contain it)."""
    fmt = reader.schema[fieldname].format
    matcher = reader._terms.matcher(fieldname, text, fmt, scorer=None)
    wanted = sorted(docs)
    found: dict[int, set[int]] = {}
    if not isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            if matcher.id() in docs:
                found[matcher.id()] = set(matcher.value_as("positions"))
            matcher.next()
        return found
    low = -1
    while matcher.is_active():
        high = matcher.block_max_id()
        i = bisect_right(wanted, low)
        if i < len(wanted) and wanted[i] <= high:  # this block holds a candidate
            if matcher._data is None:
                matcher._read_data()
            raw_ids, values = matcher._data[0], matcher._data[2]
            ids = raw_ids if matcher._byteids else accumulate(raw_ids)
            for index, docnum in enumerate(ids):
                if docnum in docs:
                    found[docnum] = _decode_positions(values[index])
        low = high
        matcher._next_block()
    return found


@dataclass
class Matches:
    """Every post matching a query, per segment, with the segments' columns."""

    segments: list[tuple[str, int, SegmentColumns, set[int]]]  # id, offset, columns, docs
    memo: Memo = field(default_factory=dict)  # subquery results, reused while scoring

    @property
    def size(self) -> int:
        return sum(len(docs) for *_, docs in self.segments)

    def threads(self) -> dict[int, int]:
        """thread id -> last activity, for every matching thread."""
        threads: dict[int, int] = {}
        for _, _, columns, docs in self.segments:
            thread, last = columns.thread, columns.last_activity
            for docnum in docs:
                threads[thread[docnum]] = last[docnum]
        return threads

    def counts(self, threads: set[int]) -> Counter[int]:
        """How many posts of each of ``threads`` matched."""
        counts: Counter[int] = Counter()
        for _, _, columns, docs in self.segments:
            thread = columns.thread
            counts.update(t for t in (thread[d] for d in docs) if t in threads)
        return counts

    def locate(self, docnum: int) -> tuple[str, int]:
        """(segment id, local docnum) of a global docnum."""
        for segment, offset, _, _ in reversed(self.segments):
            if docnum >= offset:
                return segment, docnum - offset
        raise IndexError(docnum)

    def thread_of(self, docnum: int) -> int:
        """The thread of a global docnum."""
        columns, local = self._locate(docnum)
        return columns.thread[local]

    def last_activity_of(self, docnum: int) -> int:
        columns, local = self._locate(docnum)
        return columns.last_activity[local] or 0

    def is_opening(self, docnum: int) -> bool:
        columns, local = self._locate(docnum)
        return local in columns.openings

    def _locate(self, docnum: int) -> tuple[SegmentColumns, int]:
        for _, offset, columns, _ in reversed(self.segments):
            if docnum >= offset:
                return columns, docnum - offset
        raise IndexError(docnum)


def find(searcher: Searcher, q: wq.Query) -> Matches:
    """Every post matching ``q``, without scoring."""
    memo: Memo = {}
    segments = []
    for leaf, offset in searcher.leaf_searchers():
        docs = leaf_docs(leaf, q, memo)
        segments.append((segment_id(leaf), offset, segment_columns(leaf), docs))
    return Matches(segments, memo)
