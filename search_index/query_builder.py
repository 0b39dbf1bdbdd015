"""Turn a parsed query (:mod:`.syntax`) into Whoosh queries.

Each free word becomes one *clause* matching its exact form, its stem, its
synonyms and the thread's tags. Clauses are OR-ed; :mod:`.scoring` ranks a
post that matches more clauses above every post that matches fewer
("kenapa pengunjung sepi?" finds posts about quiet visitors first, then posts
about either). Filters always restrict (``Restrict``), never widen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone

from whoosh import query as wq
from whoosh.searching import Searcher

from . import schema as f
from .analysis import pair
from .analysis import stem_word
from .analysis import synonyms
from .documents import SearchNote
from .highlight import Highlighter
from .syntax import MAX_WORDS
from .syntax import Filter
from .syntax import Node
from .syntax import Not
from .syntax import Parsed
from .syntax import Phrase
from .syntax import Word
from .syntax import make_note
from .whoosh_queries import Any
from .whoosh_queries import Exclude
from .whoosh_queries import Restrict

# Titles are short and repeated on every post of a thread: a modest boost is plenty.
FIELD_BOOSTS = {f.TITLE_EXACT: 1.2, f.TITLE: 0.8, f.BODY_EXACT: 1.5, f.BODY: 1.0, f.EXTRA: 0.5}
TAG_BOOST = 1.0
SYNONYM_BOOST = 0.8  # a synonym is a good match, the word itself a little better
MAX_EXPANSION = 200  # terms a wildcard or "~" may expand to
MAX_CANDIDATES = 5000  # terms looked at while expanding
MAX_CLAUSES = MAX_WORDS  # words (or phrases) searched from one query
WIB = timezone(timedelta(hours=7))


# -- building ---------------------------------------------------------------------------


@dataclass
class Compiled:
    """A parsed query turned into Whoosh queries."""

    final: wq.Query | None  # words (OR), negations and filters; None: nothing to search
    clauses: list[wq.Query]  # one per word or phrase: what coordination counts
    highlighter: Highlighter
    messages: list[SearchNote] = field(default_factory=list)

    @property
    def has_words(self) -> bool:
        return bool(self.clauses)


def _day_start(day: date) -> datetime:
    return f.naive_utc(datetime(day.year, day.month, day.day, tzinfo=WIB))


def filter_query(item: Filter) -> wq.Query:
    """One filter as a Whoosh query."""
    name, value = item.name, item.value
    if name == "kind":
        return wq.Term(f.KIND, value)
    if name == "tag":
        return wq.Term(f.TAGS, value)
    if name == "author":
        return wq.Term(f.AUTHOR, value)
    if name == "region":
        return wq.Term(f.REGION, value)
    if name == "province":
        return wq.Term(f.PROVINCE, value)
    if name == "status":
        return wq.Term(f.SOLVED, value == "solved")
    if name == "thread_id":
        return wq.Term(f.THREAD_ID, str(value))
    if name == "after":
        return wq.DateRange(f.CREATED, _day_start(value), None)
    if name == "before":
        return wq.DateRange(f.CREATED, None, _day_start(value), endexcl=True)
    raise ValueError(name)


def synonym_alternatives(nodes: list[Node]) -> dict[int, list[tuple[str, ...]]]:
    """For each plain word (by index), the stem sequences of its synonyms, found
    across runs of neighbouring plain words ("perpustakaan desa" = "perpusdes")."""
    alternatives: dict[int, list[tuple[str, ...]]] = {}
    plain = [i for i, n in enumerate(nodes) if isinstance(n, Word) and not (n.prefix or n.fuzzy)]
    runs: list[list[int]] = []
    for i in plain:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    for run in runs:
        stems = [stem_word(nodes[i].text) for i in run]  # type: ignore[union-attr]
        for match in synonyms().find(stems):
            for position in range(match.start, match.end):
                alternatives.setdefault(run[position], []).extend(match.alternatives)
    return alternatives


class Builder:
    """Turns the syntax tree into Whoosh queries, with the searcher's vocabulary at hand."""

    def __init__(self, searcher: Searcher, parsed: Parsed) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.parsed = parsed
        self.highlighter = Highlighter()
        self.messages: list[SearchNote] = []
        self.in_field = parsed.in_field

    def fields(self, *names: str) -> list[str]:
        titles = {f.TITLE, f.TITLE_EXACT}
        if self.in_field == "title":
            return [n for n in names if n in titles]
        if self.in_field == "body":
            return [n for n in names if n not in titles]
        return list(names)

    def word(self, word: Word, alternatives: Iterable[tuple[str, ...]] = ()) -> wq.Query:
        if word.prefix:
            return self.expanded(word.text, self._prefix_terms(word.text), f"{word.text}*")
        if word.fuzzy:
            return self.expanded(
                word.text, self._fuzzy_terms(word.text, word.fuzzy), f"{word.text}~{word.fuzzy}"
            )
        stem = stem_word(word.text)
        self.highlighter.words.add(word.text)
        self.highlighter.stems.add(stem)
        subs: list[wq.Query] = []
        for name in self.fields(f.TITLE_EXACT, f.BODY_EXACT):
            self.term(subs, name, word.text, FIELD_BOOSTS[name])
        for name in self.fields(f.TITLE, f.BODY, f.EXTRA):
            self.term(subs, name, stem, FIELD_BOOSTS[name])
        if self.in_field is None:
            self.term(subs, f.TAGS, word.text, TAG_BOOST)
        for alternative in alternatives:
            self.highlighter.stems.update(alternative)
            for name in self.fields(f.TITLE, f.BODY):
                boost = FIELD_BOOSTS[name] * SYNONYM_BOOST
                if len(alternative) == 1:
                    self.term(subs, name, alternative[0], boost)
                elif all(self.reader.doc_frequency(name, w) for w in alternative):
                    subs.append(wq.Phrase(name, list(alternative), boost=boost))
        return Any(subs) if subs else wq.NullQuery

    def term(self, subs: list[wq.Query], name: str, text: str, boost: float) -> None:
        """Add a term query unless the index has no such term (fewer matchers to walk)."""
        if self.reader.doc_frequency(name, text):
            subs.append(wq.Term(name, text, boost=boost))

    def expanded(self, text: str, terms: list[str], pattern: str) -> wq.Query:
        if len(terms) > MAX_EXPANSION:
            self.note(make_note("expansion_capped", pattern=pattern, n=MAX_EXPANSION))
            terms = terms[:MAX_EXPANSION]
        self.highlighter.words.update(terms)
        subs = [
            wq.Term(name, term, boost=FIELD_BOOSTS[name])
            for term in terms
            for name in self.fields(f.TITLE_EXACT, f.BODY_EXACT)
        ]
        return Any(subs) if subs else wq.NullQuery

    def ranked(self, candidates: set[str]) -> list[str]:
        def frequency(term: str) -> int:
            return self.reader.doc_frequency(f.BODY_EXACT, term) + self.reader.doc_frequency(
                f.TITLE_EXACT, term
            )

        return sorted(candidates, key=lambda term: (-frequency(term), term))

    def _prefix_terms(self, prefix: str) -> list[str]:
        self.highlighter.prefixes.add(prefix)
        candidates: set[str] = set()
        for name in (f.TITLE_EXACT, f.BODY_EXACT):
            for i, term in enumerate(self.reader.expand_prefix(name, prefix)):
                if i >= MAX_CANDIDATES:
                    break
                candidates.add(term.decode("utf-8") if isinstance(term, bytes) else term)
        return self.ranked(candidates)

    def _fuzzy_terms(self, word: str, distance: int) -> list[str]:
        candidates = {word}
        for name in (f.TITLE_EXACT, f.BODY_EXACT):
            for i, term in enumerate(self.reader.terms_within(name, word, distance, prefix=1)):
                if i >= MAX_CANDIDATES:
                    break
                candidates.add(term)
        return self.ranked(candidates)

    def phrase(self, phrase: Phrase) -> wq.Query:
        """Two words: one term of the pairs field; longer phrases: their positions."""
        self.highlighter.words.update(phrase.words)
        subs: list[wq.Query] = []
        for name in self.fields(f.TITLE_EXACT, f.BODY_EXACT):
            if len(phrase.words) == 2:
                text = pair(*phrase.words)
                if self.reader.doc_frequency(f.PAIRS[name], text):
                    subs.append(wq.Term(f.PAIRS[name], text, boost=FIELD_BOOSTS[name]))
            elif all(self.reader.doc_frequency(name, w) for w in phrase.words):
                subs.append(wq.Phrase(name, phrase.words, boost=FIELD_BOOSTS[name]))
        return Any(subs) if subs else wq.NullQuery

    def node(self, node: Node, negatives: list[wq.Query]) -> wq.Query | None:
        """A positive query for ``node``; top-level-ish negations go to ``negatives``."""
        if isinstance(node, Word):
            return self.word(node)
        if isinstance(node, Phrase):
            return self.phrase(node)
        if isinstance(node, Not):
            negative = self.silent(node.child)
            if negative is not None:
                negatives.append(negative)
            return None
        if node.op == "and":
            positive, excluded = [], []
            for child in node.children:
                if isinstance(child, Not):
                    negative = self.silent(child.child)
                    if negative is not None:
                        excluded.append(negative)
                elif (q := self.node(child, negatives)) is not None:
                    positive.append(q)
            if not positive:
                negatives.extend(excluded)
                return None
            query: wq.Query = wq.And(positive) if len(positive) > 1 else positive[0]
            return Exclude(query, Any(excluded)) if excluded else query
        subs = self.sequence(node.children, negatives)
        return Any(subs) if len(subs) > 1 else (subs[0] if subs else None)

    def silent(self, node: Node) -> wq.Query | None:
        """A query for an excluded node, without marking its words in snippets."""
        saved = self.highlighter
        self.highlighter = Highlighter()
        try:
            return self.node(node, [])
        finally:
            self.highlighter = saved

    def sequence(self, nodes: list[Node], negatives: list[wq.Query]) -> list[wq.Query]:
        """Sibling clauses, with synonyms found across neighbouring plain words."""
        alternatives = synonym_alternatives(nodes)
        queries, seen = [], set()
        for i, node in enumerate(nodes):
            if isinstance(node, Word) and not (node.prefix or node.fuzzy):
                if node.text in seen:
                    continue
                seen.add(node.text)
                q = self.word(node, alternatives.get(i, ()))
            else:
                q = self.node(node, negatives)
            if q is not None and q is not wq.NullQuery:
                queries.append(q)
        return queries

    def note(self, message: SearchNote) -> None:
        if message not in self.messages:
            self.messages.append(message)

    def build(self, all_words: bool = False) -> Compiled:
        """The whole query; with ``all_words``, posts must match every word (not any)."""
        negatives: list[wq.Query] = []
        positives = self.sequence(self.parsed.clauses, negatives)
        if len(positives) > MAX_CLAUSES:
            self.note(make_note("too_many_words", n=MAX_CLAUSES))
            positives = positives[:MAX_CLAUSES]
        # Words that were typed but match nothing (a wildcard with no expansion)
        # must not turn into "everything", even with filters.
        words_typed = any(not isinstance(n, Not) for n in self.parsed.clauses)
        required = []
        for item in self.parsed.filters:
            (negatives if item.negated else required).append(filter_query(item))
        if positives:
            joined = wq.And(positives) if all_words else Any(positives)
            main: wq.Query = joined if len(positives) > 1 else positives[0]
        elif (negatives or required) and not words_typed:
            main = wq.Every()
        else:
            return Compiled(None, [], self.highlighter, self.messages)
        if negatives:
            main = Exclude(main, Any(negatives))
        if required:
            main = Restrict(main, wq.And(required) if len(required) > 1 else required[0])
        return Compiled(main, positives, self.highlighter, self.messages)
