"""Parse what a member typed into a small syntax tree and a set of filters.

The parser never raises: every malformed piece (an unbalanced quote or
parenthesis, a lone operator, a bare or leading wildcard, a bad date) is dropped
or repaired and noted in ``Parsed.messages``, and the rest is still searched.

Syntax: free words (OR-ed, posts with all of them first), ``"exact phrase"``,
``-word`` / ``NOT word``, ``a OR b``, ``a AND b``, ``( ... )``, ``word*`` (at
least five letters first), ``word~`` / ``word~2`` (spelling variants, distance
at most 2), and the filters ``kind: tag: author: region: province: status:
before: after: in: thread:`` with Indonesian names beside them (``jenis:praktik|tantangan
tag: oleh: wilayah: provinsi: status:teratasi|belum sebelum: sesudah:`` and
``judul:kata`` for a word searched in titles). A region is written as the
dashboard writes it: a kabupaten/kota slug (``purwakarta``, ``kota-bandung``) or
``provinsi-jawa-barat`` for a whole province. ``-tag:x`` excludes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime

from .analysis import QUESTION_WORDS
from .analysis import TOKEN_RE
from .analysis import exact_tokens
from .documents import SearchNote

MAX_QUERY_LENGTH = 500
MIN_PREFIX_LENGTH = 5  # letters before "*": shorter prefixes expand to too many words
MAX_FUZZY_DISTANCE = 2
# What one query may ask of the engine. Each cap drops the excess with a note;
# none of them is reached by a question a person types.
MAX_DEPTH = 6  # bracket levels (deeper brackets are read as plain grouping)
MAX_WORDS = 16  # words and phrases, negated ones included
MAX_PATTERNS = 4  # words with "*" or "~" (each expands to many terms)
MAX_WORD_LENGTH = 40  # letters in one word ("pertanggungjawabannya" has 21)
MAX_PHRASE_WORDS = 8
MIN_YEAR, MAX_YEAR = 1900, 2999

# User-facing notes, Indonesian first (the forum may translate them by key).
MESSAGES = {
    "too_long": "Pencarian dipotong menjadi {limit} karakter.",
    "control_chars": "Karakter kontrol dalam pencarian diabaikan.",
    "unbalanced_quote": "Tanda kutip tidak berpasangan; frasa dibaca sampai akhir.",
    "unbalanced_paren": "Tanda kurung tidak berpasangan dan diabaikan.",
    "lone_operator": "Operator {op} perlu kata di kedua sisinya dan diabaikan.",
    "bare_wildcard": "Tanda * perlu minimal {n} huruf di depannya (misalnya pustak*).",
    "inner_wildcard": "Tanda * hanya boleh di akhir kata.",
    "fuzzy_capped": "Jarak ejaan dibatasi sampai {n}.",
    "empty_filter": "Filter {name}: perlu nilai dan diabaikan.",
    "bad_filter": "Nilai {value!r} tidak dikenal untuk {name}: dan diabaikan.",
    "bad_date": "Tanggal {value!r} tidak dikenal (pakai TTTT-BB-HH) dan diabaikan.",
    "date_out_of_range": "Tanggal {value!r} di luar tahun {low}–{high} dan diabaikan.",
    "too_deep": "Tanda kurung lebih dari {n} lapis diabaikan.",
    "too_many_patterns": (
        "Hanya {n} kata dengan * atau ~ yang diperluas; sisanya dicari apa adanya."
    ),
    "word_too_long": "Kata yang lebih dari {n} huruf diabaikan.",
    "phrase_too_long": "Frasa dipotong menjadi {n} kata.",
    "no_words": "Tidak ada kata yang bisa dicari; coba kata lain.",
    "only_stop_words": "Kata-kata itu terlalu umum untuk dicari; tambahkan kata lain.",
    "too_many_words": "Hanya {n} kata pertama yang dicari.",
    "expansion_capped": "Pola {pattern} cocok dengan terlalu banyak kata; hanya {n} yang dipakai.",
    "rebuilding": "Indeks pencarian sedang dibangun ulang; coba lagi sebentar lagi.",
    "failed": "Pencarian sedang bermasalah; coba lagi sebentar lagi.",
}


def make_note(key: str, **params: object) -> SearchNote:
    """A note by key, with its parameters and the engine's own wording."""
    return SearchNote(key, tuple(sorted(params.items())), MESSAGES[key].format(**params))


FIELD_ALIASES = {
    "kind": "kind",
    "jenis": "kind",
    "tag": "tag",
    "label": "tag",
    "author": "author",
    "penulis": "author",
    "oleh": "author",
    "region": "region",
    "wilayah": "region",
    "daerah": "region",
    "kabupaten": "region",
    "kab": "region",
    "kota": "region",
    "province": "province",
    "provinsi": "province",
    "status": "status",
    "before": "before",
    "sebelum": "before",
    "after": "after",
    "sesudah": "after",
    "setelah": "after",
    "in": "in",
    "di": "in",
    "judul": "title",
    "title": "title",
    "thread": "thread",
    "topik": "thread",
}
KIND_VALUES = {
    "practice": "practice",
    "praktik": "practice",
    "praktik-baik": "practice",
    "challenge": "challenge",
    "tantangan": "challenge",
}
STATUS_VALUES = {
    "solved": "solved",
    "selesai": "solved",
    "teratasi": "solved",
    "terjawab-sudah": "solved",
    "terjawab": "solved",
    "unsolved": "unsolved",
    "belum": "unsolved",
    "belum-terjawab": "unsolved",
    "belum-teratasi": "unsolved",
    "open": "unsolved",
}
PROVINCE_PREFIX = "provinsi-"
IN_VALUES = {"title": "title", "judul": "title", "body": "body", "isi": "body"}


@dataclass(frozen=True)
class SearchFilters:
    """Restrictions from the search form; typed operators add to these.

    Form filters and typed operators are intersected: both restrict, neither
    widens ("kind:practice" typed with the form's kind=challenge finds nothing).
    ``after`` is inclusive and ``before`` exclusive, both in Western Indonesia
    Time (WIB), the community's clock.
    """

    kind: str | None = None  # "practice" | "challenge"
    tag: str | None = None
    author: str | None = None  # username
    region: str | None = None  # kabupaten/kota slug
    province: str | None = None  # province slug
    status: str | None = None  # "solved" | "unsolved"
    after: date | None = None
    before: date | None = None
    in_title: bool = False
    thread_id: int | None = None


@dataclass(frozen=True)
class Filter:
    """One restriction: ``name`` is a SearchFilters field, ``value`` normalised."""

    name: str
    value: object
    negated: bool = False


@dataclass
class Word:
    """One free word as typed; ``start``/``end`` locate it in the query string."""

    text: str  # exact-field form (lower-case, folded)
    start: int
    end: int
    prefix: bool = False  # "word*"
    fuzzy: int = 0  # "word~n"


@dataclass
class Phrase:
    words: list[str]


@dataclass
class Group:
    op: str  # "and" | "or"
    children: list[Node]


@dataclass
class Not:
    child: Node


Node = Word | Phrase | Group | Not


@dataclass
class Parsed:
    """The parse of one query string."""

    clauses: list[Node] = field(default_factory=list)  # top level: OR-ed, coordinated
    filters: list[Filter] = field(default_factory=list)
    in_field: str | None = None  # "title" | "body"
    messages: list[SearchNote] = field(default_factory=list)
    query: str = ""  # the (cleaned, capped) text that was parsed
    words: int = field(default=0, repr=False)  # words and phrases kept so far (MAX_WORDS)
    patterns: int = field(default=0, repr=False)  # "*" and "~" words kept so far

    def take_word(self) -> bool:
        """Count one more word or phrase; False (with a note) once the query has enough."""
        if self.words >= MAX_WORDS:
            self.note("too_many_words", n=MAX_WORDS)
            return False
        self.words += 1
        return True

    def take_pattern(self) -> bool:
        """Count one more "*" or "~" word; False (with a note) past MAX_PATTERNS."""
        if self.patterns >= MAX_PATTERNS:
            self.note("too_many_patterns", n=MAX_PATTERNS)
            return False
        self.patterns += 1
        return True

    def note(self, key: str, **params: object) -> None:
        note = make_note(key, **params)
        if note not in self.messages:
            self.messages.append(note)


_LEX = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<field>-?[A-Za-z]+):(?P<value>"[^"]*"?|[^\s()"]*)
  | (?P<phrase>-?"[^"]*"?)
  | (?P<word>[^\s()"]+)
    """,
    re.VERBOSE,
)
_FUZZY = re.compile(r"^(?P<base>.*?)~(?P<dist>\d*)$")


@dataclass
class _Token:
    kind: str  # lparen rparen field phrase word op
    text: str
    start: int
    end: int
    name: str = ""
    negated: bool = False


def clean(query: str, parsed: Parsed) -> str:
    """Drop NUL and control characters and cap the length."""
    if any(not ch.isprintable() and not ch.isspace() for ch in query):
        parsed.note("control_chars")
    query = "".join(ch if ch.isprintable() else " " for ch in query)
    if len(query) > MAX_QUERY_LENGTH:
        parsed.note("too_long", limit=MAX_QUERY_LENGTH)
        query = query[:MAX_QUERY_LENGTH]
    return query


def _limit_depth(tokens: list[_Token], parsed: Parsed) -> list[_Token]:
    """Drop brackets nested deeper than MAX_DEPTH (and their partners), in one pass.

    "((((...(word)...))))" two hundred deep would otherwise recurse two hundred
    times in the parser and again in every query object built from it.
    """
    kept: list[_Token] = []
    stack: list[bool] = []  # for each open bracket: was it kept?
    depth = 0  # kept brackets open
    for token in tokens:
        if token.kind == "lparen":
            keep = depth < MAX_DEPTH
            stack.append(keep)
            if not keep:
                parsed.note("too_deep", n=MAX_DEPTH)
                continue
            depth += 1
        elif token.kind == "rparen" and stack:
            if not stack.pop():
                continue
            depth -= 1
        kept.append(token)
    return kept


def _lex(query: str, parsed: Parsed) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _LEX.finditer(query):
        kind = match.lastgroup or ""
        text = match.group(0)
        start, end = match.span()
        if kind == "space":
            continue
        if match.group("field") is not None:
            name = match.group("field")
            negated = name.startswith("-")
            name = name.lstrip("-").lower()
            if name in FIELD_ALIASES:
                value = match.group("value")
                tokens.append(_Token("field", value, start, end, FIELD_ALIASES[name], negated))
                continue
            kind = "word"  # "catatan:penting" is just words
        if kind == "phrase":
            negated = text.startswith("-")
            body = text.lstrip("-")
            if len(body) < 2 or not body.endswith('"'):
                parsed.note("unbalanced_quote")
                body = body + '"'
            tokens.append(_Token("phrase", body[1:-1], start, end, negated=negated))
        elif kind == "word" and text in ("AND", "OR", "NOT", "&&", "||"):
            op = {"&&": "AND", "||": "OR"}.get(text, text)
            tokens.append(_Token("op", op, start, end))
        elif kind == "word" and text == "-":
            tokens.append(_Token("op", "-", start, end))
        else:
            tokens.append(_Token(kind, text, start, end))
    return tokens


class _Parser:
    """Recursive descent: query := or_expr*; or_expr := and_expr (OR and_expr)*;
    and_expr := unary (AND unary)*; unary := (NOT|-) unary | unit."""

    def __init__(self, tokens: list[_Token], parsed: Parsed) -> None:
        self.tokens = tokens
        self.i = 0
        self.parsed = parsed
        self.depth = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def at_op(self, *ops: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "op" and token.text in ops

    def sequence(self) -> list[Node]:
        nodes: list[Node] = []
        while (token := self.peek()) is not None:
            if token.kind == "rparen":
                if self.depth > 0:
                    return nodes
                self.parsed.note("unbalanced_paren")
                self.i += 1
                continue
            if token.kind == "op" and token.text in ("AND", "OR"):
                self.parsed.note("lone_operator", op=token.text)
                self.i += 1
                continue
            node = self.or_expr()
            if node is not None:
                nodes.append(node)
        return nodes

    def or_expr(self) -> Node | None:
        return self._binary("OR", "or", self.and_expr)

    def and_expr(self) -> Node | None:
        return self._binary("AND", "and", self.unary)

    def _binary(self, op: str, name: str, operand) -> Node | None:
        left = operand()
        children = [left] if left is not None else []
        while self.at_op(op):
            token = self.tokens[self.i]
            self.i += 1
            nxt = self.peek()
            right = None
            if nxt is not None and nxt.kind != "rparen" and not self.at_op("AND", "OR"):
                right = operand()
            if right is None or left is None:
                self.parsed.note("lone_operator", op=token.text)
            if right is not None:
                children.append(right)
        if not children:
            return None
        return children[0] if len(children) == 1 else Group(name, children)

    def unary(self) -> Node | None:
        token = self.peek()
        if token is None:
            return None
        if token.kind == "op" and token.text in ("NOT", "-"):
            self.i += 1
            nxt = self.peek()
            adjacent = nxt is not None and (token.text == "NOT" or nxt.start == token.end)
            if nxt is None or not adjacent or nxt.kind in ("rparen", "op"):
                self.parsed.note("lone_operator", op=token.text)
                return None
            child = self.unary()
            return Not(child) if child is not None else None
        return self.unit()

    def unit(self) -> Node | None:
        token = self.tokens[self.i]
        self.i += 1
        if token.kind == "lparen":
            self.depth += 1
            children = self.sequence()
            self.depth -= 1
            if self.peek() is not None and self.tokens[self.i].kind == "rparen":
                self.i += 1
            else:
                self.parsed.note("unbalanced_paren")
            if not children:
                return None
            return children[0] if len(children) == 1 else Group("coord", children)
        if token.kind == "field" and token.name == "title":
            return self._title_words(token)
        if token.kind == "field":
            self.parsed.filters.extend(_filter(token, self.parsed))
            return None
        if token.kind == "phrase":
            words = [w for w in exact_tokens(token.text) if _short_enough(w, self.parsed)]
            if len(words) > MAX_PHRASE_WORDS:
                self.parsed.note("phrase_too_long", n=MAX_PHRASE_WORDS)
                words = words[:MAX_PHRASE_WORDS]
            if not words or not self.parsed.take_word():
                return None
            node: Node = Phrase(words) if len(words) > 1 else Word(words[0], -1, -1)
            return Not(node) if token.negated else node
        if token.kind == "op":  # a stray operator inside a unit position
            self.parsed.note("lone_operator", op=token.text)
            return None
        return _word_node(token, self.parsed)

    def _title_words(self, token: _Token) -> Node | None:
        """``judul:kata`` or ``judul:"dua kata"``: words searched in titles (``in:title``)."""
        value = token.text
        if not value.strip().strip('"'):
            self.parsed.note("empty_filter", name="judul")
            return None
        self.parsed.in_field = "title"
        start = token.end - len(value)
        if value.startswith('"'):
            words = exact_tokens(value.strip('"'))[:MAX_PHRASE_WORDS]
            if not words or not self.parsed.take_word():
                return None
            node: Node = Phrase(words) if len(words) > 1 else Word(words[0], -1, -1)
        else:
            node = _word_node(_Token("word", value, start, token.end), self.parsed)
        return Not(node) if token.negated and node is not None else node


def _word_node(token: _Token, parsed: Parsed) -> Node | None:
    """A typed word: strip "-", handle "~n" and "*", split into index words."""
    text, start = token.text, token.start
    negated = text.startswith("-") and len(text) > 1
    if negated:
        text, start = text[1:], start + 1
    fuzzy = 0
    if (match := _FUZZY.match(text)) and match.group("base"):
        text = match.group("base")
        fuzzy = int(match.group("dist") or 1)
        if fuzzy > MAX_FUZZY_DISTANCE:
            parsed.note("fuzzy_capped", n=MAX_FUZZY_DISTANCE)
            fuzzy = MAX_FUZZY_DISTANCE
    prefix = text.endswith("*")
    core = text.rstrip("*")
    if core.startswith("*") or (prefix and not TOKEN_RE.search(core)):
        parsed.note("bare_wildcard", n=MIN_PREFIX_LENGTH)  # "*", "*baca": scans every word
    elif "*" in core:
        parsed.note("inner_wildcard")
    words: list[Word] = []
    for piece in TOKEN_RE.finditer(core):
        folded = exact_tokens(piece.group(0))
        if folded and _short_enough(folded[0], parsed):
            if not parsed.take_word():
                break
            words.append(Word(folded[0], start + piece.start(), start + piece.end()))
    if not words:
        return None
    last = words[-1]
    if prefix and core[-1:].isalnum():
        if len(last.text) < MIN_PREFIX_LENGTH:
            parsed.note("bare_wildcard", n=MIN_PREFIX_LENGTH)
        elif parsed.take_pattern():
            last.prefix = True
    if fuzzy and len(words) == 1 and not last.prefix and parsed.take_pattern():
        last.fuzzy = fuzzy
    node: Node = words[0] if len(words) == 1 else Group("coord", list(words))
    return Not(node) if negated else node


def _short_enough(word: str, parsed: Parsed) -> bool:
    if len(word) > MAX_WORD_LENGTH:
        parsed.note("word_too_long", n=MAX_WORD_LENGTH)
        return False
    return True


def _date_in_range(value: date, raw: object, parsed: Parsed) -> bool:
    """Dates outside MIN_YEAR..MAX_YEAR are refused: 0001-01-01 in WIB is before year 1 in UTC."""
    if MIN_YEAR <= value.year <= MAX_YEAR:
        return True
    parsed.note("date_out_of_range", value=str(raw), low=MIN_YEAR, high=MAX_YEAR)
    return False


def _parse_date(value: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%Y-%m", "%Y", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def _filter(token: _Token, parsed: Parsed) -> list[Filter]:
    name, raw = token.name, token.text.strip().strip('"').strip()
    if not raw:
        parsed.note("empty_filter", name=name)
        return []
    value: object
    lowered = "-".join(raw.lower().split())
    if name in ("region", "province") and lowered.startswith(PROVINCE_PREFIX):
        # The dashboard's way of naming a whole province: wilayah:provinsi-jawa-barat.
        name, lowered = "province", lowered.removeprefix(PROVINCE_PREFIX)
    if name == "kind":
        value = KIND_VALUES.get(lowered)
    elif name == "status":
        value = STATUS_VALUES.get(lowered)
    elif name in ("before", "after"):
        value = _parse_date(raw)
        if value is None:
            parsed.note("bad_date", value=raw)
            return []
        if not _date_in_range(value, raw, parsed):
            return []
    elif name == "in":
        value = IN_VALUES.get(lowered)
        if value is not None:
            parsed.in_field = str(value)
            return []
    elif name == "thread":
        value = int(raw) if raw.isdigit() and len(raw) < 19 else None
    else:
        value = lowered
    if value is None:
        parsed.note("bad_filter", name=name, value=raw)
        return []
    return [Filter(name if name != "thread" else "thread_id", value, token.negated)]


def form_filters(
    filters: SearchFilters | None, parsed: Parsed | None = None
) -> tuple[list[Filter], str | None]:
    """The form's filters as :class:`Filter` values (and ``in:title``)."""
    if filters is None:
        return [], None
    result = []
    for name in (
        "kind",
        "tag",
        "author",
        "region",
        "province",
        "status",
        "after",
        "before",
        "thread_id",
    ):
        value = getattr(filters, name)
        if value is None or value == "":
            continue
        if isinstance(value, str):
            value = "-".join(value.strip().lower().split())
        if isinstance(value, date) and not _date_in_range(value, value, parsed or Parsed()):
            continue
        result.append(Filter(name, value))
    return result, ("title" if filters.in_title else None)


def _is_question_word(node: Node) -> bool:
    return (
        isinstance(node, Word) and not (node.prefix or node.fuzzy) and node.text in QUESTION_WORDS
    )


def _has_content(nodes: list[Node]) -> bool:
    for node in nodes:
        if isinstance(node, Phrase) or (isinstance(node, Word) and not _is_question_word(node)):
            return True
        if isinstance(node, Group) and _has_content(node.children):
            return True
    return False


def _without_question_words(nodes: list[Node]) -> list[Node]:
    """``nodes`` without the words of asking (negations are left as typed)."""
    kept: list[Node] = []
    for node in nodes:
        if _is_question_word(node):
            continue
        if isinstance(node, Group):
            children = _without_question_words(node.children)
            if not children:
                continue
            node = children[0] if len(children) == 1 else Group(node.op, children)
        kept.append(node)
    return kept


def parse(query: str, filters: SearchFilters | None = None) -> Parsed:
    """Parse ``query``; ``filters`` (the form) are added to the typed ones."""
    parsed = Parsed()
    text = clean(query or "", parsed)
    parsed.query = text
    parser = _Parser(_limit_depth(_lex(text, parsed), parsed), parsed)
    parsed.clauses = parser.sequence()
    if _has_content(parsed.clauses):  # "bagaimana cara ..." is about what follows
        parsed.clauses = _without_question_words(parsed.clauses)
    extra, in_field = form_filters(filters, parsed)
    parsed.filters.extend(extra)
    if in_field and not parsed.in_field:
        parsed.in_field = in_field
    return parsed


def replace_words(query: str, replacements: dict[tuple[int, int], str]) -> str:
    """``query`` with the spans in ``replacements`` swapped (for "did you mean")."""
    for (start, end), word in sorted(replacements.items(), reverse=True):
        query = query[:start] + word + query[end:]
    return query
