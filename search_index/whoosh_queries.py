"""Whoosh query classes we add or fix.

``Restrict`` and ``Exclude`` are Whoosh's ``Require`` and ``AndNot`` with the
block-skipping bugs of whoosh-reloaded 2.7.5 fixed; ``Any`` is an OR that never
preloads every posting; ``DocSet`` matches a known set of documents.
"""

from __future__ import annotations

from whoosh import query as wq
from whoosh.matching import AndNotMatcher
from whoosh.matching import ListMatcher
from whoosh.matching import Matcher
from whoosh.matching import NullMatcher
from whoosh.matching import RequireMatcher
from whoosh.searching import Searcher


def segment_id(leaf: Searcher) -> str:
    """The id of the one segment a leaf searcher reads."""
    return leaf.reader().segment().segment_id()


class Any(wq.Or):
    """OR that always walks a tree of union matchers.

    Whoosh preloads every posting's score into an array for indexes under
    5,000 documents; we often score a handful of known documents (``DocSet``),
    where skipping through the tree is far cheaper.
    """

    matcher_type = wq.Or.DEFAULT_MATCHER


class _RequireMatcher(RequireMatcher):
    """Whoosh 2.7.5's version asserts when a quality skip lands both sides on one document."""

    def skip_to_quality(self, minquality: float) -> int:
        skipped = self.a.skip_to_quality(minquality)
        both = self.child
        if both.a.is_active() and both.b.is_active() and both.a.id() != both.b.id():
            both._find_next()
        return skipped


class Restrict(wq.Require):
    """``Require`` (filter without scoring) with the fixed matcher."""

    def matcher(self, searcher: Searcher, context: object = None) -> Matcher:
        scored = self.a.matcher(searcher, context)
        return _RequireMatcher(scored, self.b.matcher(searcher, searcher.boolean_context()))


class _AndNotMatcher(AndNotMatcher):
    """Whoosh 2.7.5's version reads the id of an exhausted matcher after a quality skip."""

    def skip_to_quality(self, minquality: float) -> int:
        skipped = self.a.skip_to_quality(minquality)
        if self.a.is_active():
            self._find_next()
        return skipped


class Exclude(wq.AndNot):
    """``AndNot`` with the fixed matcher."""

    def matcher(self, searcher: Searcher, context: object = None) -> Matcher:
        scored = self.a.matcher(searcher, context)
        return _AndNotMatcher(scored, self.b.matcher(searcher, searcher.boolean_context()))


class DocSet(wq.Query):
    """Matches exactly the given documents (local docnums per segment id)."""

    def __init__(self, docs: dict[str, list[int]]) -> None:
        self.docs = docs
        self.boost = 1.0

    def __eq__(self, other: object) -> bool:
        return other is self

    def __hash__(self) -> int:
        return id(self)

    def is_leaf(self) -> bool:
        return True

    def estimate_size(self, ixreader: object) -> int:
        return sum(len(ids) for ids in self.docs.values())

    def matcher(self, searcher: Searcher, context: object = None) -> Matcher:
        ids = self.docs.get(segment_id(searcher))
        return ListMatcher(ids) if ids else NullMatcher()
