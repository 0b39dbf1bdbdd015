"""Did you mean: unknown words replaced by the closest words the forum uses.

Only the words that were searched (at most :data:`.syntax.MAX_WORDS`), of 4 to 20
letters, are looked at: the cost of looking grows with both. Corrections come
from words the forum uses and must form a query that finds threads; at most
five corrected queries are counted.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable

from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from . import schema as f
from .analysis import stem_word
from .docsets import find
from .query_builder import Builder
from .syntax import Group
from .syntax import Node
from .syntax import Parsed
from .syntax import SearchFilters
from .syntax import Word
from .syntax import parse
from .syntax import replace_words

# "Did you mean" looks at words of this many letters: shorter ones have too
# many neighbours to guess from, and the cost of looking grows with the length.
MIN_CORRECTED, MAX_CORRECTED = 4, 20
LONG_WORD = 8  # letters from which two may differ
CANDIDATES_PER_WORD = 3
MAX_CANDIDATE_QUERIES = 5  # corrected queries whose results are counted


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


def _frequency(reader: IndexReader, term: str) -> int:
    return reader.doc_frequency(f.BODY_EXACT, term) + reader.doc_frequency(f.TITLE_EXACT, term)


def max_distance(word: str) -> int:
    """Letters that may differ: one below eight letters ("perahu" is not "pernah"), else two."""
    return 1 if len(word) < LONG_WORD else 2


def neighbours(reader: IndexReader, word: str) -> list[tuple[str, int]]:
    """Up to CANDIDATES_PER_WORD indexed words near ``word``: nearest first, then most used."""
    for distance in range(1, max_distance(word) + 1):
        candidates: set[str] = set()
        for name in (f.BODY_EXACT, f.TITLE_EXACT):
            candidates.update(reader.terms_within(name, word, distance, prefix=1))
        candidates.discard(word)
        if candidates:
            ranked = sorted(candidates, key=lambda t: (-_frequency(reader, t), t))
            return [(term, distance) for term in ranked[:CANDIDATES_PER_WORD]]
    return []


def _candidates(
    unknown: list[tuple[Word, list[tuple[str, int]]]],
) -> list[tuple[dict[tuple[int, int], str], int]]:
    """Up to MAX_CANDIDATE_QUERIES replacement sets with their total distance.

    First every word's best neighbour, then the same with one word swapped for
    its next neighbour.
    """
    best = {(w.start, w.end): options[0][0] for w, options in unknown}
    distance = sum(options[0][1] for _, options in unknown)
    found = [(best, distance)]
    for word, options in unknown:
        for term, d in options[1:]:
            if len(found) >= MAX_CANDIDATE_QUERIES:
                return found
            swapped = dict(best)
            swapped[(word.start, word.end)] = term
            found.append((swapped, distance - options[0][1] + d))
    return found


Neighbours = Callable[[str], list[tuple[str, int]]]


def unknown_words(
    parsed: Parsed, known: Callable[[str], bool], neighbours: Neighbours
) -> list[tuple[Word, list[tuple[str, int]]]]:
    """The searched words the forum does not use, each with its nearest forum words."""
    unknown: list[tuple[Word, list[tuple[str, int]]]] = []
    for word in _words(parsed.clauses):
        if word.start < 0 or word.prefix or word.fuzzy:
            continue
        if not MIN_CORRECTED <= len(word.text) <= MAX_CORRECTED:
            continue
        if known(word.text):
            continue
        options = neighbours(word.text)
        if options:
            unknown.append((word, options))
    return unknown


def count_candidate(count: Callable[[str], int], text: str) -> int:
    """Threads found by one corrected query (one place, so tests can count the calls)."""
    return count(text)


def choose_correction(
    parsed: Parsed,
    unknown: list[tuple[Word, list[tuple[str, int]]]],
    count: Callable[[str], int],
) -> str | None:
    """Among at most MAX_CANDIDATE_QUERIES corrected queries, the one whose words
    occur together in the most threads (``count``) wins, then the nearest."""
    if not unknown:
        return None
    scored = []
    for order, (replacements, distance) in enumerate(_candidates(unknown)):
        text = replace_words(parsed.query, replacements)
        scored.append((-count_candidate(count, text), distance, order, text))
    return min(scored)[3]


def corrected_query(
    searcher: Searcher, parsed: Parsed, filters: SearchFilters | None = None
) -> str | None:
    """The query with unknown words replaced by indexed words (so it finds something)."""
    reader = searcher.reader()
    unknown = unknown_words(
        parsed, lambda word: _known(reader, word), lambda word: neighbours(reader, word)
    )
    return choose_correction(parsed, unknown, lambda text: count_threads(searcher, text, filters))


def count_threads(searcher: Searcher, text: str, filters: SearchFilters | None) -> int:
    """Threads with a post holding every word of ``text`` (and within ``filters``)."""
    compiled = Builder(searcher, parse(text, filters)).build(all_words=True)
    if compiled.final is None:
        return 0
    return len(find(searcher, compiled.final).threads())
