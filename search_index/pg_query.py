"""The parse tree (:mod:`.syntax`) compiled to a PostgreSQL ``tsquery``, clause by clause.

The same rules as :mod:`.query_builder` (Whoosh): each free word is one clause
matching its exact form (titles, bodies), its stem (titles, bodies, report
sections), the thread's tags and its synonyms; filters always restrict.
Fields are tsvector weights and forms are lexeme prefixes (see
:mod:`.pg_documents`): ``'pelatihan':AB | '~latih':ABC | '#pelatihan':D``.
The text is cast (``CAST(:q AS tsquery)``), never passed through
``to_tsquery``, whose parser would split our ``~`` and ``#`` lexemes, nor
``websearch_to_tsquery``, which gives OR another precedence than ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime

from .analysis import pair
from .analysis import stem_word
from .documents import SearchNote
from .highlight import Highlighter
from .pg_documents import EXACT_WEIGHTS
from .pg_documents import STEM_WEIGHTS
from .pg_documents import TAG
from .pg_documents import TITLE
from .pg_documents import filter_lexeme
from .pg_documents import quote
from .pg_documents import stem_lexeme
from .pg_documents import stored_weights
from .pg_documents import tag_lexeme
from .query_builder import FIELD_BOOSTS
from .query_builder import MAX_CLAUSES
from .query_builder import MAX_EXPANSION
from .query_builder import SYNONYM_BOOST
from .query_builder import TAG_BOOST
from .query_builder import WIB
from .query_builder import synonym_alternatives
from .schema import BODY
from .schema import BODY_EXACT
from .schema import EXTRA
from .schema import TITLE_EXACT
from .schema import slug
from .syntax import Filter
from .syntax import Node
from .syntax import Not
from .syntax import Parsed
from .syntax import Phrase
from .syntax import Word
from .syntax import make_note

# Whoosh field -> tsvector weight.
WEIGHT_OF = {TITLE_EXACT: "A", "title": "A", BODY_EXACT: "B", BODY: "B", EXTRA: "C"}
SCORED_BOOSTS = {
    ("exact", "A"): FIELD_BOOSTS[TITLE_EXACT],
    ("exact", "B"): FIELD_BOOSTS[BODY_EXACT],
    ("stem", "A"): FIELD_BOOSTS["title"],
    ("stem", "B"): FIELD_BOOSTS[BODY],
    ("stem", "C"): FIELD_BOOSTS[EXTRA],
}

Term = tuple[str, str, float]  # lexeme, weight letter, boost
NOTHING = "'!'"  # a lexeme no document holds


def any_of(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"


def all_of(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + " & ".join(parts) + ")"


def weighted(lexeme: str, weights: str) -> str:
    return f"{quote(lexeme)}:{weights}"


@dataclass
class Clause:
    """One word or phrase: what coordination counts and BM25F scores."""

    query: str
    title: str | None  # its title terms, OR-ed (a match there: the thread is about it)
    terms: list[Term]  # scored terms
    lexemes: list[str]  # for a document-frequency estimate


@dataclass
class PgCompiled:
    """A parsed query as tsquery text and SQL filter conditions."""

    query: str | None  # words, with negations; None with ``every``: filters only
    every: bool  # no words: every post (minus ``negative``) within the filters
    negative: str | None
    clauses: list[Clause]
    filters: list[Filter]
    highlighter: Highlighter
    messages: list[SearchNote] = field(default_factory=list)

    @property
    def has_words(self) -> bool:
        return bool(self.clauses)

    @property
    def matches_nothing(self) -> bool:
        return self.query is None and not self.every


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=WIB)


def filter_tsquery(item: Filter) -> str | None:
    """An equality filter as a tsquery lexeme (see :func:`.pg_documents.filter_lexeme`)."""
    name, value = item.name, item.value
    if name == "tag":
        return weighted(tag_lexeme(str(value)), TAG)
    if name in ("kind", "status"):
        return weighted(filter_lexeme(name, str(value)), TAG)
    if name in ("author", "region", "province"):
        return weighted(filter_lexeme(name, slug(str(value))), TAG)
    return None


def filter_sql(item: Filter, params: dict[str, object], n: int) -> str:
    """A filter on a column (thread, dates) as an SQL condition (its value in ``params``)."""
    name, value = item.name, item.value
    key = f"f{n}"
    if name == "thread_id":
        params[key] = int(value)  # type: ignore[call-overload]
        return f"thread_id = :{key}"
    if name == "after":
        params[key] = day_start(value)  # type: ignore[arg-type]
        return f"created >= :{key}"
    if name == "before":
        params[key] = day_start(value)  # type: ignore[arg-type]
        return f"created < :{key}"
    raise ValueError(name)


class PgBuilder:
    """The syntax tree as tsquery text, with the vocabulary at hand for ``*`` and ``~``."""

    def __init__(self, vocabulary, parsed: Parsed) -> None:
        """``vocabulary.prefixed(text)`` and ``.near(word, distance)``: indexed words."""
        self.vocabulary = vocabulary
        self.parsed = parsed
        self.highlighter = Highlighter()
        self.messages: list[SearchNote] = []
        self.in_field = parsed.in_field

    def weights(self, kind: str) -> str:
        letters = EXACT_WEIGHTS if kind == "exact" else STEM_WEIGHTS
        if self.in_field == "title":
            return "".join(w for w in letters if w == TITLE)
        if self.in_field == "body":
            return "".join(w for w in letters if w != TITLE)
        return letters

    def _scored(self, lexeme: str, kind: str, factor: float = 1.0) -> list[Term]:
        return [(lexeme, w, SCORED_BOOSTS[(kind, w)] * factor) for w in self.weights(kind)]

    def word(self, word: Word, alternatives: Iterable[tuple[str, ...]] = ()) -> Clause | None:
        if word.prefix:
            terms = self.vocabulary.prefixed(word.text)
            self.highlighter.prefixes.add(word.text)
            return self.expanded(terms, f"{word.text}*")
        if word.fuzzy:
            terms = self.vocabulary.near(word.text, word.fuzzy) or [word.text]
            return self.expanded(terms, f"{word.text}~{word.fuzzy}")
        stem = stem_lexeme(stem_word(word.text))
        self.highlighter.words.add(word.text)
        self.highlighter.stems.add(stem_word(word.text))
        parts = [weighted(word.text, self.weights("exact")), weighted(stem, self.weights("stem"))]
        titles = [weighted(word.text, TITLE), weighted(stem, TITLE)]
        terms = self._scored(word.text, "exact") + self._scored(stem, "stem")
        lexemes = [stem]
        if self.in_field is None:
            parts.append(weighted(tag_lexeme(word.text), TAG))
            terms.append((tag_lexeme(word.text), TAG, TAG_BOOST))
        synonym_weights = self.weights("exact")  # titles and bodies, as Whoosh's stemmed fields
        for alternative in alternatives:
            self.highlighter.stems.update(alternative)
            words = [stem_lexeme(s) for s in alternative]
            parts.append(all_phrase(words, synonym_weights))
            titles.append(all_phrase(words, TITLE))
            for lexeme in words:
                for w in synonym_weights:
                    terms.append((lexeme, w, SCORED_BOOSTS[("stem", w)] * SYNONYM_BOOST))
            lexemes.append(words[0])
        if self.in_field == "body":
            titles = []
        return Clause(any_of(parts), any_of(titles) if titles else None, terms, lexemes)

    def expanded(self, terms: list[str], pattern: str) -> Clause | None:
        if len(terms) > MAX_EXPANSION:
            self.note(make_note("expansion_capped", pattern=pattern, n=MAX_EXPANSION))
            terms = terms[:MAX_EXPANSION]
        self.highlighter.words.update(terms)
        if not terms:
            return None
        letters = self.weights("exact")
        parts = [weighted(term, letters) for term in terms]
        titles = [weighted(term, TITLE) for term in terms] if TITLE in letters else []
        scored = [t for term in terms for t in self._scored(term, "exact")]
        return Clause(any_of(parts), any_of(titles) if titles else None, scored, list(terms))

    def phrase(self, phrase: Phrase) -> Clause | None:
        self.highlighter.words.update(phrase.words)
        letters = self.weights("exact")
        parts = [phrase_query(phrase.words, letter) for letter in letters]
        titles = [weighted(w, TITLE) for w in phrase.words] if TITLE in letters else []
        terms = [t for w in phrase.words for t in self._scored(w, "exact")]
        return Clause(any_of(parts), any_of(titles) if titles else None, terms, list(phrase.words))

    def node(self, node: Node, negatives: list[str]) -> Clause | None:
        if isinstance(node, Word):
            return self.word(node)
        if isinstance(node, Phrase):
            return self.phrase(node)
        if isinstance(node, Not):
            negative = self.silent(node.child)
            if negative is not None:
                negatives.append(negative.query)
            return None
        if node.op == "and":
            positive: list[Clause] = []
            excluded: list[str] = []
            empty = False
            for child in node.children:
                if isinstance(child, Not):
                    negative = self.silent(child.child)
                    if negative is not None:
                        excluded.append(negative.query)
                    continue
                clause = self.node(child, negatives)
                if clause is None and isinstance(child, Word | Phrase):
                    empty = True  # a word with no terms (``x*`` expanding to none): no match
                elif clause is not None:
                    positive.append(clause)
            if not positive:
                negatives.extend(excluded)
                return None
            query = all_of([c.query for c in positive] + ([NOTHING] if empty else []))
            if excluded:
                query = f"({query} & !{any_of(excluded)})"
            return merge(positive, query)
        subs = self.sequence(node.children, negatives)
        if not subs:
            return None
        return subs[0] if len(subs) == 1 else merge(subs, any_of([c.query for c in subs]))

    def silent(self, node: Node) -> Clause | None:
        saved = self.highlighter
        self.highlighter = Highlighter()
        try:
            return self.node(node, [])
        finally:
            self.highlighter = saved

    def sequence(self, nodes: list[Node], negatives: list[str]) -> list[Clause]:
        """Sibling clauses, with synonyms found across neighbouring plain words."""
        alternatives = synonym_alternatives(nodes)
        clauses, seen = [], set()
        for i, node in enumerate(nodes):
            if isinstance(node, Word) and not (node.prefix or node.fuzzy):
                if node.text in seen:
                    continue
                seen.add(node.text)
                clause = self.word(node, alternatives.get(i, ()))
            else:
                clause = self.node(node, negatives)
            if clause is not None:
                clauses.append(clause)
        return clauses

    def note(self, message: SearchNote) -> None:
        if message not in self.messages:
            self.messages.append(message)

    def build(self, all_words: bool = False) -> PgCompiled:
        negatives: list[str] = []
        positives = self.sequence(self.parsed.clauses, negatives)
        if len(positives) > MAX_CLAUSES:
            self.note(make_note("too_many_words", n=MAX_CLAUSES))
            positives = positives[:MAX_CLAUSES]
        words_typed = any(not isinstance(n, Not) for n in self.parsed.clauses)
        filters = list(self.parsed.filters)
        negative = any_of(negatives) if negatives else None
        has_filters = bool(filters)
        if positives:
            joined = (all_of if all_words else any_of)([c.query for c in positives])
            query = f"({joined} & !{negative})" if negative else joined
            return self.compiled(query, False, None, positives, filters)
        if (negatives or has_filters) and not words_typed:
            return self.compiled(None, True, negative, [], filters)
        return self.compiled(None, False, None, [], [])

    def compiled(self, query, every, negative, clauses, filters) -> PgCompiled:
        return PgCompiled(query, every, negative, clauses, filters, self.highlighter, self.messages)


WEIGHTED = re.compile(r"'((?:[^']|'')*)':([A-D]+)")


def match_query(query: str) -> str:
    """``query`` without the weights that name every field its lexeme is stored in
    (``'~latih':ABC`` -> ``'~latih'``), for finding posts.

    The GIN index holds no weights: a weighted lexeme makes PostgreSQL recheck
    each post it matched against the post's stored tsvector (a TOAST read of
    ~4 kB), which at a million posts is most of a search's time. Unweighted,
    the index answers alone. Weights that restrict (``in:title``, synonyms in
    titles and bodies) stay, and only the posts matched by them are rechecked.
    """

    def strip(match: re.Match[str]) -> str:
        lexeme, letters = match.group(1), match.group(2)
        if set(stored_weights(lexeme)) <= set(letters):
            return f"'{lexeme}'"
        return match.group(0)

    return WEIGHTED.sub(strip, query)


def all_phrase(words: list[str], letters: str) -> str:
    """Words at consecutive positions, each in one of ``letters``' fields."""
    if len(words) == 1:
        return weighted(words[0], letters)
    return "(" + " <-> ".join(weighted(w, letters) for w in words) + ")"


def phrase_query(words: list[str], letters: str) -> str:
    """An exact phrase in one field: its word pairs (indexed), then, for three words
    or more, their positions (checked only in posts holding every pair)."""
    pairs = [weighted(pair(a, b), letters) for a, b in zip(words, words[1:], strict=False)]
    if len(words) == 2:
        return pairs[0]
    return all_of([*pairs, all_phrase(words, letters)])


def merge(clauses: list[Clause], query: str) -> Clause:
    """Several clauses counted as one (a bracketed group): their terms together."""
    titles = [c.title for c in clauses if c.title]
    return Clause(
        query,
        any_of(titles) if titles else None,
        [t for c in clauses for t in c.terms],
        [lexeme for c in clauses for lexeme in c.lexemes],
    )
