"""How a :class:`SearchDocument` becomes a row of ``search_documents`` on PostgreSQL.

The project's own analysis runs in Python (:func:`.analysis.analyze`: Sastrawi
with our exceptions, chat spellings, our stop words), and the terms are stored
as a ``tsvector`` read with the ``simple`` configuration, i.e. as they are:

- each word's exact form (``pelatihan``) and its stem with a ``~`` (``~latih``)
  at the same position, so phrases use exact words and families meet by stem
  (report sections and files get stems only: exact words are searched in
  titles and bodies, as Whoosh's exact fields);
- the filterable values as lexemes of weight D (``=kind:practice``, ``=region:sleman``);
- the field as the weight: A the title, B the body, C the report sections and
  files (``extra``), D the tags (``#minat-baca``). A title counts above a body
  because its words score with their own boosts and decide coordination;
- positions run on across fields with a gap, so a phrase never spans two;
- each two neighbouring words of a title or body as one lexeme (``'minat baca'``),
  as Whoosh's pairs fields: a two-word phrase is one GIN lookup, not a recheck
  of the positions in every post that has both words (seconds at a million).

PostgreSQL's own ``indonesian`` configuration is not used: its Snowball stemmer
splits word families Sastrawi joins (pengembalian/kembali, kelola).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from .analysis import analyze
from .analysis import pair
from .documents import SearchDocument
from .schema import document_digest
from .schema import document_to_json
from .schema import slug

TITLE, BODY, EXTRA, TAG = "A", "B", "C", "D"
EXACT_WEIGHTS = TITLE + BODY  # exact words (and word pairs) are stored in titles and bodies
STEM_WEIGHTS = TITLE + BODY + EXTRA
MAX_POSITION = 16383  # PostgreSQL's largest tsvector position
MAX_POSITIONS = 256  # positions PostgreSQL keeps per lexeme
# PostgreSQL refuses lexemes over 2047 bytes; a query word has at most 40 letters
# (syntax.MAX_WORD_LENGTH), so longer "words" (a pasted hash) are never searched.
MAX_LEXEME_BYTES = 200
PAIR_CHARS = 60  # two neighbouring words longer than this together get no pair lexeme


def stem_lexeme(stem: str) -> str:
    return f"~{stem}"


def tag_lexeme(tag: str) -> str:
    return f"#{slug(tag)}"


def filter_lexeme(name: str, value: str) -> str:
    """A filter's value as a lexeme (``=region:sleman``): filters and words then meet in
    one GIN lookup, and PostgreSQL knows how rare their combination is."""
    return f"={name}:{value}"[:MAX_LEXEME_BYTES]


def document_filters(doc: SearchDocument) -> set[str]:
    """The lexemes of the document's filterable values (kind, author, region, ...)."""
    return {
        filter_lexeme("kind", doc.kind),
        filter_lexeme("author", slug(doc.author)),
        filter_lexeme("region", slug(doc.region)),
        filter_lexeme("province", slug(doc.province)),
        filter_lexeme("status", "solved" if doc.solved else "unsolved"),
    }


def stored_weights(lexeme: str) -> str:
    """The weights (fields) a lexeme of this form can have in a document: a query
    asking for all of them need not name them (see :func:`.pg_query.match_query`)."""
    if lexeme[:1] in ("#", "="):
        return TAG
    if lexeme[:1] == "~":
        return STEM_WEIGHTS
    return EXACT_WEIGHTS  # exact words and pairs


def quote(lexeme: str) -> str:
    """A lexeme as tsvector/tsquery text."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def document_vector(doc: SearchDocument) -> tuple[str, dict[str, int], Iterable[str]]:
    """The tsvector text of a document, its field lengths (words per field), its lexemes."""
    positions: dict[str, list[str]] = defaultdict(list)
    lengths: dict[str, int] = {}
    position = 1
    for name, weight, text in (
        ("title_len", TITLE, doc.title),
        ("body_len", BODY, doc.body),
        ("extra_len", EXTRA, doc.extra),
    ):
        words = analyze(text)
        lengths[name] = len(words)
        if weight != EXTRA:  # neighbouring words as one lexeme, as Whoosh's pairs fields
            at = f"{min(position, MAX_POSITION)}{weight}"
            for first, second in zip(words, words[1:], strict=False):
                if len(first[0]) + len(second[0]) < PAIR_CHARS:
                    held = positions[pair(first[0], second[0])]
                    if len(held) < MAX_POSITIONS:
                        held.append(at)
        for word, stem, _, _ in words:
            if len(word) * 4 <= MAX_LEXEME_BYTES or len(word.encode()) <= MAX_LEXEME_BYTES:
                at = f"{min(position, MAX_POSITION)}{weight}"
                for lexeme in (word, "~" + stem) if weight != EXTRA else ("~" + stem,):
                    held = positions[lexeme]
                    if len(held) < MAX_POSITIONS:
                        held.append(at)
            position += 1
        position += 1  # no phrase across fields
    tags = {tag_lexeme(tag) for tag in doc.tags if 0 < len(slug(tag).encode()) < MAX_LEXEME_BYTES}
    lengths["tags_len"] = len(tags)
    for lexeme in tags | document_filters(doc):
        positions[lexeme].append(f"1{TAG}")
    vector = " ".join(f"{quote(lexeme)}:{','.join(at)}" for lexeme, at in positions.items())
    return vector, lengths, positions.keys()


def document_row_and_words(doc: SearchDocument) -> tuple[dict[str, Any], set[str]]:
    """The ``search_documents`` row of one document, and its exact words and
    stems (for the vocabulary table)."""
    vector, lengths, lexemes = document_vector(doc)
    row = {
        "post_id": doc.post_id,
        "thread_id": doc.thread_id,
        "is_opening": bool(doc.is_opening),
        "kind": doc.kind,
        "author": slug(doc.author),
        "region": slug(doc.region),
        "province": slug(doc.province),
        "solved": bool(doc.solved),
        "lifted": bool(doc.solved) or (bool(doc.is_opening) and lengths["extra_len"] > 0),
        "verified": bool(doc.verified),
        "created": doc.created,
        "last_activity": doc.last_activity,
        **lengths,
        "tsv": vector,
        "digest": document_digest(doc),
        "document": document_to_json(doc),
    }
    words = {lexeme for lexeme in lexemes if lexeme[0] not in "#=" and " " not in lexeme}
    return row, words
