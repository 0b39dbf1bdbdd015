"""Rank the posts a query matched: coordination first, then BM25F, computed in bulk.

Whoosh scores one document at a time through a tree of matchers (about 25 µs
a post here); we already know every matching post from :mod:`.docsets`, so we
count matched clauses with set operations and add up BM25F term by term over
cached posting lists, only for the posts that can reach the page. A phrase is
scored as its words (which posts contain it is already known).

A post's score is ``coordination * CLAUSE_WEIGHT + BM25F``, where coordination
adds up, for each clause (word) the post matches, that clause's weight (its
IDF over all the posts it matches). A post with all the query's words (or their
relatives) therefore always ranks first, and among partial matches the rarer,
more telling words count for more than common ones.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import OrderedDict
from collections import defaultdict
from collections.abc import Iterable

from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.codec.whoosh3 import _lenfield
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from . import schema as f
from .docsets import Matches
from .docsets import Memo
from .docsets import leaf_docs
from .docsets import term_postings

K1 = 1.2
B = 0.75
CLAUSE_WEIGHT = 1000.0  # per unit of coordination: more than any BM25F sum (< 2.2 x the IDFs)
# Where a word was found says how much it tells. In the thread's title or its
# opening post the thread is about it; in a reply it may be a passing mention,
# so it counts for this share of the word's weight.
REPLY_MENTION = 0.6
TITLE_MENTION = 1.0  # found in the title: what the thread is about
# Among equally matching posts: the opening post states the thread's subject,
# and a solved challenge or a practice with its report sections filled in is
# the better answer to send someone to (small lifts on the BM25F part only).
OPENING_LIFT = 1.25
EVIDENCE_LIFT = 1.1
# A practice a facilitator verified ranks first among comparably relevant results: its
# posts' BM25F part is multiplied by this (documented in the README's search section).
# A boost, not a pin: coordination (how many of the query's words a post has) is left
# alone, so a post matching more of the query, or far better, still ranks above it.
VERIFIED_LIFT = 1.5
TITLE_FIELDS = frozenset({f.TITLE, f.TITLE_EXACT})
PAIRS_FIELDS = {pairs: exact for exact, pairs in f.PAIRS.items()}
_BYTE_LENGTHS = [float(byte_to_length(i)) for i in range(256)]
_lengths: OrderedDict[tuple[str, str], list[float]] = OrderedDict()


def _field_lengths(leaf: Searcher, field: str) -> list[float]:
    """Per-document lengths of ``field`` in one segment (cached: segments are immutable)."""
    reader = leaf.reader()
    key = (reader.segment().segment_id(), field)
    lengths = _lengths.get(key)
    if lengths is None:
        perdoc = reader._perdoc  # the length columns are not schema fields
        name = _lenfield(field)
        if perdoc.has_column(name):
            lengths = [_BYTE_LENGTHS[b] for b in perdoc.column_reader(name, LENGTHS_COLUMN)]
        else:
            lengths = [0.0] * reader.doc_count_all()
        _lengths[key] = lengths
        while len(_lengths) > 1024:
            _lengths.popitem(last=False)
    return lengths


def _terms(q: wq.Query) -> Iterable[wq.Term]:
    """The scored terms of a clause (not its excluded side; a phrase gives its words)."""
    if isinstance(q, wq.Term) and q.fieldname in PAIRS_FIELDS:  # scored as its two words
        for word in q.text.split(" "):
            yield wq.Term(PAIRS_FIELDS[q.fieldname], word, boost=q.boost)
    elif isinstance(q, wq.Term):
        yield q
    elif isinstance(q, wq.Phrase):  # scored as its words (its documents are already known)
        for word in q.words:
            yield wq.Term(q.fieldname, word, boost=q.boost)
    elif isinstance(q, wq.AndNot | wq.Require):
        yield from _terms(q.a)
    elif isinstance(q, wq.Or | wq.And | wq.DisjunctionMax):
        for sub in q.subqueries:
            yield from _terms(sub)


def _add_tf(
    leaf: Searcher, term: wq.Term, targets: set[int], avgfl: float, tf: dict[int, float]
) -> None:
    """Add the term's length-normalised, boosted frequency to each target's pseudo-tf."""
    reader = leaf.reader()
    text = reader.schema[term.fieldname].to_bytes(term.text)
    postings = term_postings(reader, term.fieldname, text)
    ids, weights = postings.ids, postings.weights
    if not ids:
        return
    lengths = _field_lengths(leaf, term.fieldname)
    flat = 1 - B
    per_length = B / (avgfl or 1)
    boost = term.boost
    if len(targets) * 16 < len(ids):  # few targets: binary search for each
        for docnum in targets:
            i = bisect_left(ids, docnum)
            if i < len(ids) and ids[i] == docnum:
                tf[docnum] += boost * weights[i] / (flat + per_length * lengths[docnum])
    else:
        for i, docnum in enumerate(ids):
            if docnum in targets:
                tf[docnum] += boost * weights[i] / (flat + per_length * lengths[docnum])


def clause_weight(searcher: Searcher, clause: wq.Query, memo: Memo) -> float:
    """How much matching this clause says: the IDF of the clause as a whole.

    Counted over every post the clause matches (in any field, by any form), so a
    word that is rare in titles but everywhere in bodies does not look rare.
    """
    matching = sum(len(leaf_docs(leaf, clause, memo)) for leaf, _ in searcher.leaf_searchers())
    return math.log(searcher.doc_count_all() / (matching + 1)) + 1.0


def score_posts(
    searcher: Searcher,
    clauses: list[wq.Query],
    found: Matches,
    wanted_threads: int | None,
    only_threads: set[int] | None = None,
) -> list[tuple[float, int]]:
    """(score, global docnum) for the matched posts that decide the ranking, unordered.

    With ``wanted_threads``, posts are scored tier by tier (best coordination
    first) until the scored tiers hold that many threads; with
    ``only_threads``, just the matched posts of those threads are scored.
    """
    # Which clauses each matched post has, weighted by how telling each is:
    # set operations per segment.
    weights = [clause_weight(searcher, clause, found.memo) for clause in clauses]
    title_clauses = [_title_part(clause) for clause in clauses]
    matched: list[tuple[int, int, set[int], dict[int, float]]] = []  # index, offset, docs, coord
    for index, (leaf, offset) in enumerate(searcher.leaf_searchers()):
        _, _, columns, docs = found.segments[index]
        if only_threads is not None:
            docs = {d for d in docs if columns.thread[d] in only_threads}
        columns = found.segments[index][2]
        coord = dict.fromkeys(docs, 0.0)
        for clause, title, weight in zip(clauses, title_clauses, weights, strict=True):
            in_title = leaf_docs(leaf, title, found.memo) if title is not None else set()
            for docnum in leaf_docs(leaf, clause, found.memo) & docs:
                if docnum in in_title:
                    coord[docnum] += weight * TITLE_MENTION
                elif docnum in columns.openings:
                    coord[docnum] += weight
                else:
                    coord[docnum] += weight * REPLY_MENTION
        matched.append((index, offset, docs, coord))

    # Choose the tiers to score (sums are taken in clause order: equal sets, equal floats).
    targets: list[set[int]] = [set() for _ in matched]
    if wanted_threads is None:
        targets = [docs for _, _, docs, _ in matched]
    else:
        tiers: dict[float, list[tuple[int, int]]] = defaultdict(list)  # coord -> posts
        for index, _, _, coord in matched:
            for docnum, value in coord.items():
                tiers[value].append((index, docnum))
        threads: set[int] = set()
        for value in sorted(tiers, reverse=True):
            for index, docnum in tiers[value]:
                targets[index].add(docnum)
                threads.add(found.segments[index][2].thread[docnum])
            if len(threads) >= wanted_threads:
                break

    # BM25F over the chosen posts: per clause, one pseudo term frequency from all
    # its fields and forms (boosted, length-normalised), saturated once, times
    # the clause's IDF. A title match of a common word no longer looks rare.
    avgfl = {name: searcher.avg_field_length(name, 1.0) for name in searcher.schema.names()}
    clause_terms = [
        list({(t.fieldname, t.text, t.boost): t for t in _terms(c)}.values()) for c in clauses
    ]
    results: list[tuple[float, int]] = []
    for (leaf, offset), (index, _, _, coord), wanted in zip(
        searcher.leaf_searchers(), matched, targets, strict=True
    ):
        if not wanted:
            continue
        scores: dict[int, float] = dict.fromkeys(wanted, 0.0)
        for terms, weight in zip(clause_terms, weights, strict=True):
            tf: dict[int, float] = dict.fromkeys(wanted, 0.0)
            for term in terms:
                _add_tf(leaf, term, wanted, avgfl.get(term.fieldname) or 1.0, tf)
            for docnum, x in tf.items():
                if x:
                    scores[docnum] += weight * x * (K1 + 1) / (K1 + x)
        columns = found.segments[index][2]
        results.extend(
            [
                (coord[d] * CLAUSE_WEIGHT + s * _lift(columns, d), offset + d)
                for d, s in scores.items()
            ]
        )
    return results


def _lift(columns, docnum: int) -> float:
    lift = OPENING_LIFT if docnum in columns.openings else 1.0
    if docnum in columns.verified:
        lift *= VERIFIED_LIFT
    return lift * EVIDENCE_LIFT if docnum in columns.lifted else lift


def _title_part(clause: wq.Query) -> wq.Query | None:
    """The clause's title terms alone (where a match says what the thread is about)."""
    terms = [t for t in _terms(clause) if t.fieldname in TITLE_FIELDS]
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else wq.Or(terms)
