"""Did you mean: unknown words replaced by the closest words the forum uses.

Only the words that were searched (at most :data:`.syntax.MAX_WORDS`), of 4 to 20
letters, are looked at: the cost of looking grows with both.
"""

from __future__ import annotations

from collections.abc import Iterable

from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from . import schema as f
from .analysis import stem_word
from .syntax import Group
from .syntax import Node
from .syntax import Parsed
from .syntax import Word
from .syntax import replace_words

# "Did you mean" looks at words of this many letters: shorter ones have too
# many neighbours to guess from, and the cost of looking grows with the length.
MIN_CORRECTED, MAX_CORRECTED = 4, 20


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
