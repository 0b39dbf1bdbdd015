"""The index schema, its version, and how a :class:`SearchDocument` becomes index fields.

Field names live here and nowhere else. Bump ``SCHEMA_VERSION`` whenever the
fields or the analyzers change: an index written with another version is
treated as damaged and rebuilt in the background.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from operator import sub
from typing import Any

from whoosh.fields import BOOLEAN
from whoosh.fields import DATETIME
from whoosh.fields import ID
from whoosh.fields import KEYWORD
from whoosh.fields import TEXT
from whoosh.fields import FieldType
from whoosh.fields import Schema
from whoosh.formats import Existence
from whoosh.formats import Positions
from whoosh.system import pack_uint

from .analysis import IndonesianAnalyzer
from .analysis import PairsAnalyzer
from .analysis import analyze
from .analysis import exact_analyzer
from .analysis import index_words
from .analysis import pair
from .analysis import pairs_analyzer
from .analysis import stemmed_analyzer
from .documents import SearchDocument

SCHEMA_VERSION = 3  # 2: chat spellings read as full words; stems checked; word pairs; 3: verified

KEY = "key"
POST_ID = "post_id"
THREAD_ID = "thread_id"
IS_OPENING = "is_opening"
KIND = "kind"
TITLE = "title"  # stemmed, stored for highlighting
TITLE_EXACT = "title_exact"
TITLE_PAIRS = "title_pairs"  # neighbouring words as one term: fast two-word phrases
BODY = "body"  # stemmed, stored for snippets
BODY_EXACT = "body_exact"
BODY_PAIRS = "body_pairs"
PAIRS = {TITLE_EXACT: TITLE_PAIRS, BODY_EXACT: BODY_PAIRS}  # exact field -> its pairs
TAGS = "tags"
AUTHOR = "author"
AUTHOR_NAME = "author_name"
LIBRARY = "library"
REGION = "region"
PROVINCE = "province"
CREATED = "created"
LAST_ACTIVITY = "last_activity"
SOLVED = "solved"
VERIFIED = "verified"  # a verified practice: lifted by scoring.VERIFIED_LIFT
EXTRA = "extra"
DIGEST = "digest"


# Each single position's encoding in the Positions format (most postings hold one),
# but its last byte (pickle's STOP, "."), by position. Each posting gets its own
# bytes object, as in Whoosh: a block pickles its values, and pickle writes a
# repeated object as a reference to its first copy, which would change the bytes.
_SINGLE_HEADS: list[bytes] = []


def _single_heads(count: int) -> list[bytes]:
    """:data:`_SINGLE_HEADS`, holding at least positions ``0 .. count - 1``."""
    heads = _SINGLE_HEADS
    while len(heads) < count:
        heads.append(_encode_positions([len(heads)])[:-1])
    return heads


_SEVERAL_POSITIONS: dict[tuple[int, ...], bytes] = {}  # the same for several positions
SEVERAL_POSITIONS_MAX = 200_000  # remembered (then forgotten all at once)
_WEIGHTS: dict[float, list[float]] = {}  # field boost -> weight of each small frequency


def _encode_positions(positions: list[int]) -> bytes:
    """Whoosh's Positions format: the count, then the pickled position deltas."""
    deltas = list(map(sub, positions, [0, *positions]))
    return pack_uint(len(positions)) + pickle.dumps(deltas, 2)


class WordsField(TEXT):
    """A TEXT field of our analyzer, indexed in one pass over the analyzed words.

    Gives exactly what Whoosh's generic path gives (the Positions format's
    terms, frequencies, weights and encoded positions) without a Token object
    and three generators per word, a fifth of a rebuild's time.
    """

    def fast(self) -> bool:
        """Whether :meth:`add_postings` gives what :meth:`index` gives."""
        return type(self.format) is Positions and isinstance(self.analyzer, IndonesianAnalyzer)

    def add_postings(self, value: str, docnum: int, terms: dict[bytes, list]) -> tuple[int, int]:
        """Add ``value``'s postings to ``terms`` (term -> flat [docnum, weight, value, ...]);
        returns the field's length and the number of postings. The rebuild's path:
        :meth:`index`'s postings without its tuples, each word's terms made once."""
        words = index_words(value)[1 if self.analyzer.stem else 0]
        positions: dict[bytes, list[int]] = {}
        for position, term in enumerate(words):
            if term in positions:
                positions[term].append(position)
            else:
                positions[term] = [position]
        weights = self._weights()
        heads = _single_heads(len(words))
        several = _SEVERAL_POSITIONS
        single_weight = weights[1]
        for term, found in positions.items():
            if len(found) == 1:
                encoded = heads[found[0]] + b"."  # a new object each time: see _single_heads
                weight = single_weight
            else:
                key = tuple(found)
                head = several.get(key)
                if head is None:
                    if len(several) >= SEVERAL_POSITIONS_MAX:
                        several.clear()
                    head = several[key] = _encode_positions(found)[:-1]
                encoded = head + b"."
                count = len(found)
                weight = weights[count] if count < len(weights) else count * single_weight
            if term in terms:
                terms[term] += (docnum, weight, encoded)
            else:
                terms[term] = [docnum, weight, encoded]
        return len(words), len(positions)

    def _weights(self) -> list[float]:
        """Each small frequency's weight (as :meth:`index` computes it), made once.

        Kept outside the field: the schema is pickled into the index's TOC."""
        boost = self.format.field_boost
        weights = _WEIGHTS.get(boost)
        if weights is None:
            weights = _WEIGHTS[boost] = [float(n) * boost for n in range(64)]
        return weights

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        if (
            not isinstance(value, str)
            or type(self.format) is not Positions
            or not isinstance(self.analyzer, IndonesianAnalyzer)
            or kwargs
        ):
            yield from super().index(value, **kwargs)
            return
        which = 1 if self.analyzer.stem else 0
        positions: dict[str, list[int]] = {}
        for position, word in enumerate(analyze(value)):
            positions.setdefault(word[which], []).append(position)
        boost = self.format.field_boost
        for term, found in positions.items():
            count = len(found)
            yield term.encode("utf-8"), count, float(count) * boost, _encode_positions(found)


class PairsField(FieldType):
    """Which posts hold a word pair, nothing more: no frequencies, positions or lengths
    (a pair is scored as its two words in the exact fields), so it costs little to write."""

    def __init__(self) -> None:
        super().__init__(Existence(), analyzer=pairs_analyzer(), scorable=False)

    def fast(self) -> bool:
        """Whether :meth:`add_postings` gives what :meth:`index` gives."""
        return type(self.format) is Existence and isinstance(self.analyzer, PairsAnalyzer)

    def add_postings(self, value: str, docnum: int, terms: dict[bytes, list]) -> tuple[int, int]:
        """Add ``value``'s postings to ``terms`` (see :meth:`WordsField.add_postings`)."""
        words = index_words(value)[0]
        weight = self.format.field_boost
        pairs = {b"%s %s" % two for two in zip(words, words[1:], strict=False)}
        for term in pairs:
            postings = terms.get(term)
            if postings is None:
                terms[term] = [docnum, weight, b""]
            else:
                postings += (docnum, weight, b"")
        return 0, len(pairs)

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        if not isinstance(value, str) or kwargs:
            yield from super().index(value, **kwargs)
            return
        words = analyze(value)
        boost = self.format.field_boost
        for term in {pair(a[0], b[0]) for a, b in zip(words, words[1:], strict=False)}:
            yield term.encode("utf-8"), 1, boost, b""


def build_schema() -> Schema:
    """A fresh schema object (analyzers are not shared between indexes)."""
    stemmed = stemmed_analyzer()
    exact = exact_analyzer()
    return Schema(
        **{
            KEY: ID(unique=True, stored=True, sortable=True),
            POST_ID: ID(stored=True),
            THREAD_ID: ID(stored=True, sortable=True),
            IS_OPENING: BOOLEAN(stored=True),
            KIND: ID(stored=True),
            TITLE: WordsField(analyzer=stemmed, stored=True),
            TITLE_EXACT: WordsField(analyzer=exact),
            TITLE_PAIRS: PairsField(),
            BODY: WordsField(analyzer=stemmed, stored=True),
            BODY_EXACT: WordsField(analyzer=exact),
            BODY_PAIRS: PairsField(),
            TAGS: KEYWORD(commas=True, lowercase=True, scorable=True, stored=True),
            AUTHOR: ID(stored=True),
            AUTHOR_NAME: WordsField(analyzer=exact, stored=True),
            LIBRARY: WordsField(analyzer=exact, stored=True),
            REGION: ID(stored=True),
            PROVINCE: ID(stored=True),
            CREATED: DATETIME(stored=True, sortable=True),
            LAST_ACTIVITY: DATETIME(stored=True, sortable=True),
            SOLVED: BOOLEAN(stored=True),
            VERIFIED: BOOLEAN(stored=True),
            EXTRA: WordsField(analyzer=stemmed, stored=True),
            # A hash of the whole document, so `check` can find stale entries.
            DIGEST: ID(stored=True, sortable=True),
        }
    )


def naive_utc(moment: datetime) -> datetime:
    """Whoosh drops tzinfo without converting: hand it naive UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def slug(value: str) -> str:
    """Normalise an identifier-like value (region, province, tag, author)."""
    return "-".join(value.strip().lower().split())


def document_fields(doc: SearchDocument) -> dict[str, Any]:
    """The keyword arguments for ``writer.update_document`` for one document."""
    return {
        KEY: doc.key,
        POST_ID: str(doc.post_id),
        THREAD_ID: str(doc.thread_id),
        IS_OPENING: bool(doc.is_opening),
        KIND: doc.kind,
        TITLE: doc.title,
        TITLE_EXACT: doc.title,
        TITLE_PAIRS: doc.title,
        BODY: doc.body,
        BODY_EXACT: doc.body,
        BODY_PAIRS: doc.body,
        TAGS: ",".join(slug(tag) for tag in doc.tags),
        AUTHOR: slug(doc.author),
        AUTHOR_NAME: doc.author_name,
        LIBRARY: doc.library,
        REGION: slug(doc.region),
        PROVINCE: slug(doc.province),
        CREATED: naive_utc(doc.created),
        LAST_ACTIVITY: naive_utc(doc.last_activity),
        SOLVED: bool(doc.solved),
        VERIFIED: bool(doc.verified),
        EXTRA: doc.extra,
        DIGEST: document_digest(doc),
    }


FIELD_NAMES = tuple(field.name for field in dataclasses.fields(SearchDocument))


def document_to_json(doc: SearchDocument) -> str:
    """A canonical JSON form (outbox payloads and digests)."""
    # Not dataclasses.asdict: it deep-copies every value (a tenth of a rebuild).
    data = {name: getattr(doc, name) for name in FIELD_NAMES}
    data["created"] = doc.created.isoformat()
    data["last_activity"] = doc.last_activity.isoformat()
    data["tags"] = list(doc.tags)
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def document_from_json(payload: str) -> SearchDocument:
    """The inverse of :func:`document_to_json`."""
    data = json.loads(payload)
    data["created"] = datetime.fromisoformat(data["created"])
    data["last_activity"] = datetime.fromisoformat(data["last_activity"])
    data["tags"] = tuple(data.get("tags", ()))
    names = set(FIELD_NAMES)
    return SearchDocument(**{k: v for k, v in data.items() if k in names})


def document_digest(doc: SearchDocument) -> str:
    """Changes whenever anything the index shows or filters on changes."""
    payload = f"{SCHEMA_VERSION}:{document_to_json(doc)}"
    return hashlib.blake2b(payload.encode("utf-8"), digest_size=12).hexdigest()
