"""The Indonesian analyzer: tokenizer, stop words, accent folding, stemming and synonyms.

Two analyzers share one tokenizer so positions line up: ``exact_analyzer`` keeps
the words as written (lower-cased, accents folded) and ``stemmed_analyzer`` adds
the stemmer, so "pelatihan", "melatih" and "latihan" all index as "latih".

The stemmer sits behind a tiny interface (:class:`Stemmer`) and an LRU cache:
Sastrawi costs about 0.25 ms per unseen word, and a forum's vocabulary is small
and Zipfian, so almost every call after warm-up is a cache hit. Changing the
stemmer changes every stemmed term in the index: bump ``SCHEMA_VERSION``.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from whoosh.analysis import Analyzer
from whoosh.analysis import Token
from whoosh.analysis import Tokenizer
from whoosh.support.charset import accent_map

# Letters and digits; "_" and every punctuation mark (including "?", "*", "-")
# separate words, so "anak-anak" is two tokens and a trailing "?" is dropped.
TOKEN_PATTERN = r"[^\W_]+"
TOKEN_RE = re.compile(TOKEN_PATTERN)

# Function words only. Sastrawi ships an 809-word list, but it removes words
# librarians search for (masalah, kerja, ibu, baru, ...), so we keep our own.
STOP_WORDS: frozenset[str] = frozenset(
    """
    ada adalah agar akan aku apa apakah atau bagaimana bagaimanakah begitu bila
    bisakah boleh dan dari dalam dapatkah demikian dengan di dia ia ialah ini itu
    jika juga kah kalau kami kamu kapan ke kenapa kepada ketika kita lah maka
    mengapa mereka meski nya oleh pada padahal para pun saja sambil sampai saya
    sebab sebagai sedang sehingga sejak seperti serta siapa supaya tapi tetapi
    untuk walau yaitu yakni yang
    a an and are as at be by do does for from how i in is it of on or that the
    this to was what when where which who why will with
    """.split()
)

DATA = Path(__file__).parent


def _pairs(name: str) -> dict[str, str]:
    """``left = right`` lines of a data file next to this module (``#`` starts a comment)."""
    pairs = {}
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            left, right = (part.strip().lower() for part in line.split("=", 1))
            pairs[left] = right
    return pairs


def _words_file(name: str) -> frozenset[str]:
    text = (DATA / name).read_text(encoding="utf-8")
    return frozenset(
        word for line in text.splitlines() for word in line.split("#", 1)[0].lower().split()
    )


# Chat spellings read as their full forms, in posts and in queries alike
# ("tdk" -> "tidak", "yg" -> "yang", "perpus" -> "perpustakaan").
CHAT_WORDS: dict[str, str] = _pairs("chat_words.txt")
# Words of asking ("bagaimana", "tolong", "dong"): never what a question is about.
QUESTION_WORDS: frozenset[str] = _words_file("question_words.txt")
# Sastrawi puts a few words our members use every day in the wrong family
# ("relawan" -> "rawan", "mengatasi" -> "atas", "pengunjung" -> "unjung").
STEM_EXCEPTIONS: dict[str, str] = _pairs("stem_exceptions.txt")
MIN_STEM = 4  # shorter stems are too often another word ("bertani" -> "tan")
NASAL_ROOTS = "ptks"  # meN-/peN- replace these first letters: menanam <- tanam


def plausible_stem(word: str, stem: str) -> bool:
    """The stemmer's answer, checked against the word's own form.

    A stem is used only when the word visibly contains it (or contains it after
    the nasal change of meN-/peN-, as in menanam/tanam and pemerintah/perintah)
    and it is not too short to be a family of its own.
    """
    if stem == word:
        return True
    if len(stem) < MIN_STEM:
        return False
    return stem in word or (stem[0] in NASAL_ROOTS and stem[1:] in word)


class Stemmer(Protocol):
    """What the analyzer needs from a stemmer (Sastrawi today, Snowball tomorrow)."""

    name: str

    def stem(self, word: str) -> str:
        """Return the stem of one lower-case word."""
        ...


class SastrawiStemmer:
    """Sastrawi's Nazief-Adriani stemmer, without its unbounded cache."""

    name = "sastrawi"

    def __init__(self) -> None:
        from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

        # create_stemmer() wraps an ever-growing dict cache; we use our own LRU.
        self._stemmer = StemmerFactory().create_stemmer().delegatedStemmer

    def stem(self, word: str) -> str:
        return self._stemmer.stem_word(word)


_stemmer: Stemmer | None = None
_stemmer_lock = threading.Lock()


def current_stemmer() -> Stemmer:
    """The stemmer in use, created on first use (Sastrawi loads a 30k-word dictionary)."""
    global _stemmer
    if _stemmer is None:
        with _stemmer_lock:
            if _stemmer is None:
                _stemmer = SastrawiStemmer()
    return _stemmer


def use_stemmer(stemmer: Stemmer) -> None:
    """Swap the stemmer (then rebuild the index: stemmed terms change)."""
    global _stemmer
    with _stemmer_lock:
        _stemmer = stemmer
    stem_word.cache_clear()
    _index_tokens.clear()


@functools.lru_cache(maxsize=200_000)
def stem_word(word: str) -> str:
    """Stem one analyzed (lower-case, folded) token; numbers and short words pass."""
    if len(word) < 4 or not word.isalpha():
        return word
    exception = STEM_EXCEPTIONS.get(word)
    if exception is not None:
        return exception
    stem = current_stemmer().stem(word) or word
    return stem if plausible_stem(word, stem) else word


_last = threading.local()  # the last text analyzed in this thread, and its words


def analyze(text: str) -> list[tuple[str, str, int, int]]:
    """(exact word, stem, start char, end char) for each indexed word of ``text``.

    Remembers the last text per thread: the index analyzes each post's body
    twice in a row (stemmed and exact fields), and the second time is free.
    """
    if getattr(_last, "text", None) is text:
        return _last.words
    words = []
    for match in TOKEN_RE.finditer(text):
        word = match.group(0).lower().translate(accent_map)
        word = CHAT_WORDS.get(word, word)
        if word in STOP_WORDS:
            continue
        words.append((word, stem_word(word), match.start(), match.end()))
    _last.text, _last.words = text, words
    return words


# Each token as cut from a text -> its (exact, stem) terms as UTF-8, None for a stop word.
_index_tokens: dict[str, tuple[bytes, bytes] | None] = {}
INDEX_TOKENS_MAX = 500_000  # distinct spellings remembered (then forgotten all at once)
_last_index = threading.local()  # the last text index_words() was given, and its answer


def _index_token(token: str) -> tuple[bytes, bytes] | None:
    word = token.lower().translate(accent_map)
    word = CHAT_WORDS.get(word, word)
    if word in STOP_WORDS:
        return None
    return word.encode("utf-8"), stem_word(word).encode("utf-8")


def index_words(text: str) -> tuple[list[bytes], list[bytes]]:
    """The exact and the stemmed terms of :func:`analyze`, in order and as UTF-8.

    What indexing needs and nothing more (no character offsets): each distinct
    spelling is folded, looked up and stemmed once per process, not once per post.
    Remembers the last text per thread, as :func:`analyze` does.
    """
    if getattr(_last_index, "text", None) is text:
        return _last_index.words
    cache = _index_tokens
    if len(cache) > INDEX_TOKENS_MAX:
        cache.clear()
    exact: list[bytes] = []
    stems: list[bytes] = []
    for token in TOKEN_RE.findall(text):
        try:
            terms = cache[token]
        except KeyError:
            terms = cache[token] = _index_token(token)
        if terms is not None:
            exact.append(terms[0])
            stems.append(terms[1])
    _last_index.text, _last_index.words = text, (exact, stems)
    return exact, stems


class IndonesianAnalyzer(Tokenizer):
    """The whole pipeline in one pass (Whoosh's filter chains cost more than the work).

    Equivalent to RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() |
    CharsetFilter(accent_map) | StopFilter(STOP_WORDS, minsize=1) [| stemming],
    with positions numbered over the kept words only.
    """

    def __init__(self, stem: bool) -> None:
        self.stem = stem

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IndonesianAnalyzer) and other.stem == self.stem

    def __hash__(self) -> int:
        return hash((IndonesianAnalyzer, self.stem))

    def __call__(  # type: ignore[override]
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        token.boost = 1.0
        index = 1 if self.stem else 0
        for pos, word in enumerate(analyze(value) if tokenize else [(value, value, 0, 0)]):
            token.text = word[index]
            token.stopped = False
            if keeporiginal:
                token.original = value[word[2] : word[3]]
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + word[2]
                token.endchar = start_char + word[3]
            yield token


class PairsAnalyzer(Tokenizer):
    """Each two neighbouring words as one term ("pojok baca"): a two-word phrase is
    then one posting list, not two lists and their positions (the biword index).
    Neighbours as the exact analyzer sees them (function words left out), so a
    pair matches exactly what the positional phrase query matched."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PairsAnalyzer)

    def __hash__(self) -> int:
        return hash(PairsAnalyzer)

    def __call__(  # type: ignore[override]
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        token.boost = 1.0
        if not tokenize:
            token.text, token.stopped = value, False
            yield token
            return
        words = analyze(value)
        for pos in range(len(words) - 1):
            token.text = pair(words[pos][0], words[pos + 1][0])
            token.stopped = False
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + words[pos][2]
                token.endchar = start_char + words[pos + 1][3]
            yield token


def pair(first: str, second: str) -> str:
    """The pairs field's term for two neighbouring exact words."""
    return f"{first} {second}"


def pairs_analyzer() -> Analyzer:
    return PairsAnalyzer()


def exact_analyzer() -> Analyzer:
    """Words as written: lower-cased, accents folded, function words removed."""
    return IndonesianAnalyzer(stem=False)


def stemmed_analyzer() -> Analyzer:
    """The exact analyzer plus the (cached) stemmer."""
    return IndonesianAnalyzer(stem=True)


def exact_tokens(text: str) -> list[str]:
    """The exact-field terms of ``text``, in order."""
    return [word for word, _, _, _ in analyze(text)]


def fold(token: str) -> str:
    """One token (as the tokenizer cut it) the way the exact field stores it.

    The same steps as :func:`exact_analyzer` without the pipeline's overhead
    (snippets fold every word of every shown post); "" for a stop word.
    """
    word = token.lower().translate(accent_map)
    word = CHAT_WORDS.get(word, word)
    return "" if word in STOP_WORDS else word


@dataclass(frozen=True)
class SynonymMatch:
    """A run of query stems that belongs to a synonym group."""

    start: int  # index of the first stem in the query's word list
    end: int  # one past the last
    alternatives: tuple[tuple[str, ...], ...]  # the other members, as stem sequences


class SynonymTable:
    """Groups of equivalent terms, matched on stems and expanded at query time.

    The data file lists one group a line, members separated by "=":
    ``perpusdes = perpustakaan desa``. Every member stands for every other, so
    the expansion works both ways.
    """

    def __init__(self, groups: Iterable[Sequence[str]]) -> None:
        self.groups: list[tuple[tuple[str, ...], ...]] = []
        self._by_first: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for members in groups:
            stemmed = tuple(
                dict.fromkeys(
                    tuple(stem_word(token) for token in exact_tokens(member)) for member in members
                )
            )
            stemmed = tuple(member for member in stemmed if member)
            if len(stemmed) < 2:
                continue
            group_id = len(self.groups)
            self.groups.append(stemmed)
            for member in stemmed:
                self._by_first.setdefault(member[0], []).append((member, group_id))
        for candidates in self._by_first.values():
            candidates.sort(key=lambda item: -len(item[0]))  # longest match first

    @classmethod
    def from_file(cls, path: Path) -> SynonymTable:
        """Read the data file (``#`` starts a comment)."""
        groups = []
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                groups.append([member.strip() for member in line.split("=")])
        return cls(groups)

    def find(self, stems: Sequence[str]) -> list[SynonymMatch]:
        """Non-overlapping members of a group in ``stems``, scanned left to right."""
        matches = []
        i = 0
        while i < len(stems):
            for member, group_id in self._by_first.get(stems[i], ()):
                if tuple(stems[i : i + len(member)]) == member:
                    others = tuple(m for m in self.groups[group_id] if m != member)
                    matches.append(SynonymMatch(i, i + len(member), others))
                    i += len(member)
                    break
            else:
                i += 1
        return matches


SYNONYMS_FILE = DATA / "synonyms.txt"


@functools.cache
def synonyms() -> SynonymTable:
    """The synonym table from ``synonyms.txt`` (read once per process)."""
    return SynonymTable.from_file(SYNONYMS_FILE)
