"""Run a parsed query: clauses, filters, thread grouping, pages, did-you-mean.

Each free word becomes one *clause* matching its exact form, its stem, its
synonyms and the thread's tags. Clauses are OR-ed; :mod:`.scoring` ranks a
post that matches more clauses above every post that matches fewer
("kenapa pengunjung sepi?" finds posts about quiet visitors first, then posts
about either). Filters always restrict (``Restrict``), never widen.

Hits are posts; the page shows threads: every matching post is found by set
operations (:mod:`.docsets`), and each thread is ranked by its best post.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone

from whoosh import query as wq
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from . import schema as f
from .analysis import TOKEN_RE
from .analysis import fold
from .analysis import stem_word
from .analysis import synonyms
from .docsets import Matches
from .docsets import find
from .documents import SearchHit
from .documents import SearchNote
from .documents import SearchResults
from .highlight import Highlighter
from .queries import Any
from .queries import Exclude
from .queries import Restrict
from .scoring import score_posts
from .syntax import MAX_WORDS
from .syntax import Filter
from .syntax import Group
from .syntax import Node
from .syntax import Not
from .syntax import Parsed
from .syntax import Phrase
from .syntax import SearchFilters
from .syntax import Word
from .syntax import make_note
from .syntax import parse
from .syntax import replace_words

# Titles are short and repeated on every post of a thread: a modest boost is plenty.
FIELD_BOOSTS = {f.TITLE_EXACT: 1.2, f.TITLE: 0.8, f.BODY_EXACT: 1.5, f.BODY: 1.0, f.EXTRA: 0.5}
TAG_BOOST = 1.0
SYNONYM_BOOST = 0.8  # a synonym is a good match, the word itself a little better
MAX_EXPANSION = 200  # terms a wildcard or "~" may expand to
MAX_CANDIDATES = 5000  # terms looked at while expanding
MAX_CLAUSES = MAX_WORDS  # words (or phrases) searched from one query
# "Did you mean" looks at words of this many letters: shorter ones have too
# many neighbours to guess from, and the cost of looking grows with the length.
MIN_CORRECTED, MAX_CORRECTED = 4, 20
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
        self.highlighter.words.update(phrase.words)
        subs = [
            wq.Phrase(name, phrase.words, boost=FIELD_BOOSTS[name])
            for name in self.fields(f.TITLE_EXACT, f.BODY_EXACT)
            if all(self.reader.doc_frequency(name, w) for w in phrase.words)
        ]
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
        alternatives: dict[int, list[tuple[str, ...]]] = {}
        plain = [
            i for i, n in enumerate(nodes) if isinstance(n, Word) and not (n.prefix or n.fuzzy)
        ]
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

    def build(self) -> Compiled:
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
            main: wq.Query = Any(positives) if len(positives) > 1 else positives[0]
        elif (negatives or required) and not words_typed:
            main = wq.Every()
        else:
            return Compiled(None, [], self.highlighter, self.messages)
        if negatives:
            main = Exclude(main, Any(negatives))
        if required:
            main = Restrict(main, wq.And(required) if len(required) > 1 else required[0])
        return Compiled(main, positives, self.highlighter, self.messages)


# -- ranking threads -------------------------------------------------------------------


@dataclass
class Best:
    """A thread's best post on this page."""

    docnum: int
    score: float
    opening: bool


def best_by_thread(
    found: Matches, posts: list[tuple[float, int]], limit: int | None = None
) -> dict[int, Best]:
    """Each thread's best post, threads in rank order; ties go to the opening post.

    With ``limit``, only the first ``limit`` threads are needed: the best few
    posts are picked with a heap, and all of them sorted only if those were
    too few (threads with many matching posts).
    """
    if limit is not None and len(posts) > limit * 20:
        top = heapq.nsmallest(limit * 10, posts, key=_rank)
        best = _best_in_order(found, top, limit)
        if len(best) >= limit:
            return best
    return _best_in_order(found, sorted(posts, key=_rank), limit)


def _rank(post: tuple[float, int]) -> tuple[float, int]:
    return (-post[0], post[1])


def _best_in_order(
    found: Matches, posts: list[tuple[float, int]], limit: int | None
) -> dict[int, Best]:
    best: dict[int, Best] = {}
    last_score = None
    for score, docnum in posts:
        if limit is not None and len(best) >= limit and last_score is not None:
            if score < last_score:
                break
        thread = found.thread_of(docnum)
        current = best.get(thread)
        if current is None:
            best[thread] = Best(docnum, score, found.is_opening(docnum))
            last_score = score
        elif score == current.score and not current.opening and found.is_opening(docnum):
            best[thread] = Best(docnum, score, True)
    return best


def make_hit(
    searcher: Searcher,
    best: Best,
    highlighter: Highlighter,
    matching: int = 1,
    snippet: bool = True,
) -> SearchHit:
    """A hit from a post's stored fields, with highlighted title and snippet."""
    stored = searcher.stored_fields(best.docnum)
    body = stored.get(f.BODY) or stored.get(f.EXTRA) or ""
    return SearchHit(
        thread_id=int(stored[f.THREAD_ID]),
        post_id=int(stored[f.POST_ID]),
        score=float(best.score),
        title_html=highlighter.title(stored.get(f.TITLE, "")),
        snippet_html=highlighter.snippet(body) if snippet else "",
        matching_posts=matching,
    )


def run_compiled(
    searcher: Searcher, compiled: Compiled, page: int, per_page: int, sort: str
) -> tuple[list[SearchHit], int]:
    """One page of thread hits and the total thread count.

    Every matching post is found by set operations first (cheap), which gives
    the total and the newest-first order; scores are computed in bulk only
    for the posts that can reach this page.
    """
    if compiled.final is None:
        return [], 0
    found = find(searcher, compiled.final)
    threads = found.threads()
    wanted = page * per_page
    first = (page - 1) * per_page
    if len(threads) <= first:
        return [], len(threads)
    if sort == "newest" or not compiled.has_words:
        newest = heapq.nlargest(wanted, threads.items(), key=lambda item: (item[1], item[0]))
        page_threads = [thread for thread, _ in newest][first:]
        posts = score_posts(searcher, compiled.clauses, found, None, set(page_threads))
        best = best_by_thread(found, posts)
    else:
        posts = score_posts(searcher, compiled.clauses, found, wanted)
        best = best_by_thread(found, posts, wanted)
        page_threads = list(best)[first:wanted]
    counts = found.counts(set(page_threads))
    hits = [
        make_hit(searcher, best[thread], compiled.highlighter, counts[thread])
        for thread in page_threads
        if thread in best
    ]
    return hits, len(threads)


# -- did you mean -----------------------------------------------------------------------


def _words(nodes: Iterable[Node]) -> Iterable[Word]:
    for node in nodes:
        if isinstance(node, Word):
            yield node
        elif isinstance(node, Group):
            yield from _words(node.children)


def _known(reader: IndexReader, word: str) -> bool:
    stem = stem_word(word)
    return any(
        reader.doc_frequency(name, term) > 0
        for name, term in (
            (f.BODY_EXACT, word),
            (f.TITLE_EXACT, word),
            (f.BODY, stem),
            (f.TITLE, stem),
        )
    )


def _closest(reader: IndexReader, word: str) -> str | None:
    for distance in (1, 2):
        candidates: set[str] = set()
        for name in (f.BODY_EXACT, f.TITLE_EXACT):
            candidates.update(reader.terms_within(name, word, distance, prefix=1))
        candidates.discard(word)
        if candidates:
            return max(
                candidates,
                key=lambda t: (
                    reader.doc_frequency(f.BODY_EXACT, t) + reader.doc_frequency(f.TITLE_EXACT, t),
                    t,
                ),
            )
    return None


def corrected_query(searcher: Searcher, parsed: Parsed) -> str | None:
    """The query with unknown words replaced by the closest indexed words, if any."""
    reader = searcher.reader()
    replacements: dict[tuple[int, int], str] = {}
    for word in _words(parsed.clauses):
        if word.start < 0 or word.prefix or word.fuzzy:
            continue
        if not MIN_CORRECTED <= len(word.text) <= MAX_CORRECTED:
            continue
        if _known(reader, word.text):
            continue
        suggestion = _closest(reader, word.text)
        if suggestion:
            replacements[(word.start, word.end)] = suggestion
    if not replacements:
        return None
    return replace_words(parsed.query, replacements)


# -- entry points -----------------------------------------------------------------------


def _join(messages: list[SearchNote]) -> tuple[SearchNote, ...]:
    return tuple(dict.fromkeys(messages))


def search(
    searcher: Searcher,
    text: str,
    filters: SearchFilters | None = None,
    page: int = 1,
    per_page: int = 20,
    sort: str = "relevance",
    correct: bool = True,
) -> SearchResults:
    """Search ``text`` (user syntax) with optional form ``filters``; never raises on input."""
    page = max(1, int(page))
    per_page = min(max(1, int(per_page)), 100)
    parsed = parse(text, filters)
    compiled = Builder(searcher, parsed).build()
    messages = parsed.messages + compiled.messages
    if compiled.final is None and not parsed.clauses and not parsed.filters:
        typed = [fold(token) for token in TOKEN_RE.findall(parsed.query)]
        if typed and not any(typed):
            messages.append(make_note("only_stop_words"))
        elif parsed.query.strip():
            messages.append(make_note("no_words"))
    hits, total = run_compiled(searcher, compiled, page, per_page, sort)
    corrected = corrected_query(searcher, parsed) if correct else None
    if corrected and total == 0:
        retry = search(searcher, corrected, filters, page, per_page, sort, correct=False)
        if retry.total:
            return SearchResults(
                hits=retry.hits,
                total=retry.total,
                page=page,
                per_page=per_page,
                corrected_query=corrected,
                showing_corrected=True,
                notes=_join(messages + list(retry.notes)),
            )
    return SearchResults(
        hits=hits,
        total=total,
        page=page,
        per_page=per_page,
        corrected_query=corrected,
        notes=_join(messages),
    )
