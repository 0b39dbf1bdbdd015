"""Search on PostgreSQL full-text search (``SEARCH_BACKEND=postgresql``).

The same search as the Whoosh engine, in the forum's own database, so that
several web servers share it: a post's document row is written in the post's
own transaction (no outbox, no local index), and a search right after the
commit finds it on any server.

- ``search_documents``: one row per post (:mod:`.pg_documents`), a GIN index on
  its ``tsvector``; ``search_terms``: the vocabulary (exact words and ``~stems``
  with how many posts hold them), a ``pg_trgm`` index for "did you mean" and
  ``~``, a C-collated key for ``*``. Both are made by an Alembic migration that
  does nothing on SQLite.
- A query is compiled by :mod:`.pg_query`; PostgreSQL finds the matching posts,
  the newest :data:`CANDIDATES` of them (Discourse's bound: ranking every match
  of two common words in a million posts takes seconds), and Python ranks those
  exactly as the Whoosh engine ranks (coordination, then BM25F, the same
  constants), groups them by thread and highlights the page's hits.
- Every statement runs under :data:`STATEMENT_TIMEOUT_MS`.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Engine

from .analysis import analyze
from .analysis import exact_tokens
from .analysis import stem_word
from .documents import SearchDocument
from .documents import SearchHit
from .documents import SearchResults
from .highlight import Highlighter
from .outbox import DELETE
from .outbox import UPSERT
from .outbox import backlog
from .outbox import outbox
from .pg_documents import BODY
from .pg_documents import EXTRA
from .pg_documents import TAG
from .pg_documents import TITLE
from .pg_documents import document_row_and_words
from .pg_documents import stem_lexeme
from .pg_query import Clause
from .pg_query import PgBuilder
from .pg_query import PgCompiled
from .pg_query import all_of
from .pg_query import any_of
from .pg_query import filter_sql
from .pg_query import filter_tsquery
from .pg_query import match_query
from .pg_query import weighted
from .query_builder import MAX_CANDIDATES
from .rebuild import PROGRESS_EVERY
from .rebuild import Documents
from .rebuild import DriftReport
from .rebuild import Progress
from .rebuild import _documents
from .schema import SCHEMA_VERSION
from .schema import document_digest
from .schema import document_from_json
from .scoring import CLAUSE_WEIGHT
from .scoring import EVIDENCE_LIFT
from .scoring import K1
from .scoring import OPENING_LIFT
from .scoring import REPLY_MENTION
from .scoring import TITLE_MENTION
from .scoring import VERIFIED_LIFT
from .scoring import B
from .searching import Best
from .searching import best_by_thread
from .searching import page_notes
from .searching import with_correction
from .spelling import CANDIDATES_PER_WORD
from .spelling import choose_correction
from .spelling import max_distance
from .spelling import unknown_words
from .syntax import SearchFilters
from .syntax import Word
from .syntax import make_note
from .syntax import parse

log = logging.getLogger(__name__)

DOCUMENTS = "search_documents"
TERMS = "search_terms"
TABLES = (DOCUMENTS, TERMS)
# The newest matching posts that are ranked. A query matching more ranks only
# these (the README says what that costs); totals count their threads.
CANDIDATES = 2000
STATEMENT_TIMEOUT_MS = 3000
# The newest CANDIDATES × these posts are looked in first (see PostgresEngine._windows).
WINDOWS = (20, 200)
TRIGRAM_SIMILARITY = 0.2  # pg_trgm's first cut for "did you mean"; edit distance decides
STATS_SECONDS = 60.0  # document count and field lengths, cached per process above:
STATS_FRESH_BELOW = 50_000  # ... this many posts (below it they are counted every time)
SIMILAR_TERMS = 8
SIMILAR_CANDIDATES = 500
SUGGEST_CANDIDATES = 500
BATCH = 1000
LENGTH_COLUMNS = {TITLE: "title_len", BODY: "body_len", EXTRA: "extra_len", TAG: "tags_len"}
COLUMNS = (
    "post_id thread_id is_opening kind author region province solved lifted verified created "
    "last_activity title_len body_len extra_len tags_len tsv digest document"
).split()

NOTE_FAILED = make_note("failed")


def _upsert_sql() -> sa.TextClause:
    values = ", ".join(
        "CAST(:tsv AS tsvector)" if name == "tsv" else f":{name}" for name in COLUMNS
    )
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in COLUMNS if name != "post_id")
    return sa.text(
        f"INSERT INTO {DOCUMENTS} ({', '.join(COLUMNS)}) VALUES ({values}) "
        f"ON CONFLICT (post_id) DO UPDATE SET {updates}"
    )


UPSERT_SQL = _upsert_sql()
NEW_TERMS_SQL = sa.text(
    f"INSERT INTO {TERMS} (term, ndoc) SELECT unnest(CAST(:terms AS text[])), 1 "
    "ON CONFLICT (term) DO NOTHING"
)


def post_id_of(key: str) -> int | None:
    """``post:12`` -> 12 (the document keys of :func:`.documents.document_key`)."""
    prefix, _, number = key.partition(":")
    return int(number) if prefix == "post" and number.isdigit() else None


def levenshtein(a: str, b: str, limit: int) -> int:
    """Edit distance, giving up (returning ``limit + 1``) once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


class Vocabulary:
    """The indexed words of ``search_terms``, looked up on one connection."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._frequency: dict[str, int] = {}

    def frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        wanted = [t for t in set(terms) if t not in self._frequency]
        if wanted:
            rows = self.connection.execute(
                sa.text(f"SELECT term, ndoc FROM {TERMS} WHERE term = ANY(:terms)"),
                {"terms": wanted},
            )
            found = dict(rows.all())
            for term in wanted:
                self._frequency[term] = int(found.get(term, 0))
        return {t: self._frequency[t] for t in terms}

    def known(self, word: str) -> bool:
        stem = stem_lexeme(stem_word(word))
        return any(self.frequencies([word, stem]).values())

    def prefixed(self, prefix: str) -> list[str]:
        """Exact words starting with ``prefix``, most used first (as Whoosh expands ``*``)."""
        rows = self.connection.execute(
            sa.text(
                f"SELECT term, ndoc FROM {TERMS} WHERE term >= :low AND term < :high "
                "ORDER BY ndoc DESC, term LIMIT :limit"
            ),
            {"low": prefix, "high": prefix + "\U0010ffff", "limit": MAX_CANDIDATES},
        )
        return [term for term, _ in rows]

    def near(self, word: str, distance: int) -> list[str]:
        """Exact words within ``distance`` edits, same first letter, most used first."""
        return [term for term, _ in self.neighbours(word, distance, MAX_CANDIDATES)]

    def neighbours(self, word: str, distance: int, limit: int) -> list[tuple[str, int]]:
        self.connection.execute(
            sa.text(f"SET LOCAL pg_trgm.similarity_threshold = {TRIGRAM_SIMILARITY}")
        )
        rows = self.connection.execute(
            sa.text(
                f"SELECT term, ndoc FROM {TERMS} WHERE term % :word AND term LIKE :first "
                "ORDER BY similarity(term, :word) DESC LIMIT 200"
            ),
            {"word": word, "first": word[:1].replace("%", "").replace("_", "") + "%"},
        )
        near = []
        for term, ndoc in rows:
            if term.startswith(("~", "#")):
                continue
            edits = levenshtein(word, term, distance)
            if edits <= distance:
                near.append((term, ndoc, edits))
        near.sort(key=lambda item: (-item[1], item[0]))
        return [(term, d) for term, _, d in near[:limit]]


@dataclass
class Candidate:
    """A matching post: which clauses (and title parts) it matched, and its lengths."""

    post_id: int
    thread_id: int
    opening: bool
    lifted: bool
    verified: bool
    last_activity: float
    lengths: dict[str, int]
    matched: list[bool]
    in_title: list[bool]


class Found:
    """The candidates as :func:`.searching.best_by_thread` reads them (by post id)."""

    def __init__(self, candidates: list[Candidate], truncated: bool) -> None:
        self.by_post = {c.post_id: c for c in candidates}
        self.candidates = candidates
        self.truncated = truncated

    def threads(self) -> dict[int, float]:
        return {c.thread_id: c.last_activity for c in self.candidates}

    def thread_of(self, post_id: int) -> int:
        return self.by_post[post_id].thread_id

    def last_activity_of(self, post_id: int) -> float:
        return self.by_post[post_id].last_activity

    def is_opening(self, post_id: int) -> bool:
        return self.by_post[post_id].opening


@dataclass
class Stats:
    documents: int
    average: dict[str, float]
    at: float


class PostgresEngine:
    """The search backend on PostgreSQL; ``database`` returns the forum's SQLAlchemy engine."""

    name = "postgresql"

    def __init__(self, database: Callable[[], Engine] | Engine) -> None:
        self._database = database
        self._stats: Stats | None = None
        self._since: dict[int, tuple[datetime, float]] = {}
        self._lock = threading.Lock()

    @property
    def db(self) -> Engine:
        return self._database() if callable(self._database) else self._database

    # -- reading ---------------------------------------------------------------------

    def _reading(self):
        connection = self.db.connect()
        if connection.dialect.name != "postgresql":
            connection.close()
            raise RuntimeError("SEARCH_BACKEND=postgresql needs a PostgreSQL database")
        connection.execute(sa.text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))
        return connection

    def search(
        self,
        text: str,
        filters: SearchFilters | None = None,
        page: int = 1,
        per_page: int = 20,
        sort: str = "relevance",
        correct: bool = True,
    ) -> SearchResults:
        try:
            with self._reading() as connection:
                return self._search(connection, text, filters, page, per_page, sort, correct)
        except Exception:
            log.exception("search: query %r failed", text[:100] if isinstance(text, str) else text)
            return SearchResults(page=page, per_page=per_page, notes=(NOTE_FAILED,))

    def _search(
        self,
        connection: Connection,
        text: str,
        filters: SearchFilters | None,
        page: int,
        per_page: int,
        sort: str,
        correct: bool,
    ) -> SearchResults:
        page = max(1, int(page))
        per_page = min(max(1, int(per_page)), 100)
        parsed = parse(text, filters)
        vocabulary = Vocabulary(connection)
        compiled = PgBuilder(vocabulary, parsed).build()
        messages = page_notes(parsed, compiled.matches_nothing, compiled.messages)
        hits, total = self._page(connection, compiled, page, per_page, sort)
        corrected = None
        if correct:
            corrected = choose_correction(
                parsed,
                unknown_words(parsed, vocabulary.known, self._neighbours(vocabulary)),
                lambda query: self._count_threads(connection, vocabulary, query, filters),
            )
        return with_correction(
            hits,
            total,
            page,
            per_page,
            messages,
            corrected,
            lambda: self._search(connection, corrected or "", filters, page, per_page, sort, False),
        )

    @staticmethod
    def _neighbours(vocabulary: Vocabulary) -> Callable[[str], list[tuple[str, int]]]:
        def neighbours(word: str) -> list[tuple[str, int]]:
            for distance in range(1, max_distance(word) + 1):
                found = [
                    (term, d)
                    for term, d in vocabulary.neighbours(word, distance, 50)
                    if term != word and d == distance
                ]
                if found:
                    return found[:CANDIDATES_PER_WORD]
            return []

        return neighbours

    def _count_threads(
        self, connection: Connection, vocabulary: Vocabulary, text: str, filters
    ) -> int:
        compiled = PgBuilder(vocabulary, parse(text, filters)).build(all_words=True)
        if compiled.matches_nothing:
            return 0
        where, params = self._where(compiled)
        return int(
            connection.execute(
                sa.text(
                    f"SELECT count(DISTINCT thread_id) FROM (SELECT thread_id FROM {DOCUMENTS} "
                    f"WHERE {where} LIMIT {CANDIDATES}) AS matching"
                ),
                params,
            ).scalar_one()
        )

    def _where(self, compiled: PgCompiled) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = {}
        conditions = []
        required: list[str] = []  # filters as lexemes, in the one tsquery with the words
        excluded: list[str] = []
        for n, item in enumerate(compiled.filters):
            lexeme = filter_tsquery(item)
            if lexeme is not None:
                (excluded if item.negated else required).append(lexeme)
                continue
            condition = filter_sql(item, params, n)
            conditions.append(f"NOT ({condition})" if item.negated else condition)
        if compiled.negative is not None:
            excluded.append(compiled.negative)
        positive = ([compiled.query] if compiled.query is not None else []) + required
        if positive:
            query = all_of(positive)
            if excluded:
                query = f"({query} & !{any_of(excluded)})"
            conditions.append("tsv @@ CAST(:q AS tsquery)")
            params["q"] = match_query(query)
        elif excluded:
            conditions.append("NOT (tsv @@ CAST(:neg AS tsquery))")
            params["neg"] = match_query(any_of(excluded))
        return " AND ".join(conditions) or "TRUE", params

    def _candidates(
        self,
        connection: Connection,
        compiled: PgCompiled,
        limit: int | None = None,
        extra: str = "",
    ) -> Found:
        limit = CANDIDATES if limit is None else limit
        where, params = self._where(compiled)
        columns = []
        for n, clause in enumerate(compiled.clauses):
            params[f"c{n}"] = clause.query
            columns.append(f"v @@ CAST(:c{n} AS tsquery)")
            if clause.title is not None:
                params[f"t{n}"] = clause.title
                columns.append(f"v @@ CAST(:t{n} AS tsquery)")
            else:
                columns.append("FALSE")
        cheap = (
            "post_id, thread_id, is_opening, lifted, verified, last_activity, created, "
            "title_len, body_len, extra_len, tags_len"
        )
        select = ", ".join(
            [
                "post_id, thread_id, is_opening, lifted, verified, "
                "extract(epoch FROM last_activity)",
                "title_len, body_len, extra_len, tags_len",
                *columns,
            ]
        )

        def newest(window: str) -> list[Any]:
            # The newest matches first, then each candidate's tsvector read once (``v``)
            # for every clause's test.
            def statement(order: str) -> sa.TextClause:
                return sa.text(
                    f"SELECT {select} FROM (SELECT {cheap}, tsv || ''::tsvector AS v "
                    f"FROM (SELECT {cheap}, tsv FROM {DOCUMENTS} WHERE {where}{extra}{window} "
                    f"ORDER BY {order} DESC, post_id DESC LIMIT {int(limit)}) AS newest "
                    "OFFSET 0) AS candidates ORDER BY created DESC, post_id DESC"
                )

            # Ordered by an expression no index holds, PostgreSQL finds the matches from
            # the GIN index (with the ``created`` one for a window): no tsvector is read.
            # Unless it expects nearly every post to match: then it tests every post of
            # the window, each a TOAST read it does not count, and walking the
            # ``created`` index newest first (stopping at ``limit`` matches) is cheaper.
            indexed = statement("(created + interval '0 s')")
            plan = connection.execute(sa.text(f"EXPLAIN {indexed.text}"), params).scalars()
            uses_gin = any(f"Bitmap Index Scan on ix_{DOCUMENTS}_tsv" in line for line in plan)
            return connection.execute(indexed if uses_gin else statement("created"), params).all()

        rows: list[Any] = []
        for since in self._windows(connection, limit):
            params["since"] = since
            rows = newest(" AND created >= :since")
            if len(rows) >= limit:
                break
        else:
            rows = newest("")
        candidates = [
            Candidate(
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                float(row[5]),
                dict(zip((TITLE, BODY, EXTRA, TAG), row[6:10], strict=True)),
                list(row[10::2]),
                list(row[11::2]),
            )
            for row in rows
        ]
        return Found(candidates, len(rows) >= limit)

    def _windows(self, connection: Connection, limit: int) -> Iterator[datetime]:
        """The creation times of the ``limit * WINDOWS``-th newest posts, newest first.

        The newest ``limit`` matches of a common word lie among the newest few
        thousand posts: looking there first (GIN and ``created`` indexes together)
        visits a bounded number of posts, where the whole table's matches of the
        word are hundreds of thousands. A window holding fewer than ``limit``
        matches gives way to the next, then to the whole table, so the candidates
        are always the newest matches. Cached like :meth:`stats`.
        """
        documents = self.stats(connection).documents
        for multiple in WINDOWS:
            rank = multiple * limit
            if rank >= documents:
                return
            cached = self._since.get(rank)
            if cached is None or time.monotonic() - cached[1] >= STATS_SECONDS:
                since = connection.execute(
                    sa.text(
                        f"SELECT created FROM {DOCUMENTS} "
                        "ORDER BY created DESC, post_id DESC OFFSET :rank LIMIT 1"
                    ),
                    {"rank": rank},
                ).scalar()
                if since is None:
                    return
                cached = self._since[rank] = (since, time.monotonic())
            yield cached[0]

    def _page(
        self, connection: Connection, compiled: PgCompiled, page: int, per_page: int, sort: str
    ) -> tuple[list[SearchHit], int]:
        if compiled.matches_nothing:
            return [], 0
        found = self._candidates(connection, compiled)
        threads = found.threads()
        wanted = page * per_page
        first = (page - 1) * per_page
        if len(threads) <= first:
            return [], len(threads)
        ranker = Ranker(self, connection, compiled.clauses, found)
        if sort == "newest" or not compiled.has_words:
            newest = sorted(threads.items(), key=lambda item: (item[1], item[0]), reverse=True)
            page_threads = [thread for thread, _ in newest[:wanted]][first:]
            posts = ranker.score(None, set(page_threads))
            best = best_by_thread(found, posts)  # type: ignore[arg-type]
        else:
            posts = ranker.score(wanted)
            best = best_by_thread(found, posts, wanted)  # type: ignore[arg-type]
            page_threads = list(best)[first:wanted]
        counts = self._counts(connection, compiled, found, set(page_threads))
        shown = [best[thread] for thread in page_threads if thread in best]
        return self._hits(connection, shown, compiled.highlighter, counts), len(threads)

    def _counts(
        self, connection: Connection, compiled: PgCompiled, found: Found, threads: set[int]
    ) -> Counter[int]:
        if not found.truncated or not threads:
            return Counter(c.thread_id for c in found.candidates if c.thread_id in threads)
        where, params = self._where(compiled)
        params["threads"] = list(threads)
        rows = connection.execute(
            sa.text(
                f"SELECT thread_id, count(*) FROM {DOCUMENTS} WHERE {where} "
                "AND thread_id = ANY(:threads) GROUP BY thread_id"
            ),
            params,
        )
        return Counter(dict(rows.all()))

    def _hits(
        self,
        connection: Connection,
        shown: list[Best],
        highlighter: Highlighter,
        counts: Counter[int] | None = None,
        snippet: bool = True,
    ) -> list[SearchHit]:
        if not shown:
            return []
        rows = connection.execute(
            sa.text(f"SELECT post_id, document FROM {DOCUMENTS} WHERE post_id = ANY(:ids)"),
            {"ids": [best.docnum for best in shown]},
        )
        documents = {post_id: document_from_json(payload) for post_id, payload in rows}
        hits = []
        for best in shown:
            doc = documents.get(best.docnum)
            if doc is None:
                continue
            body = doc.body or doc.extra or ""
            hits.append(
                SearchHit(
                    thread_id=doc.thread_id,
                    post_id=doc.post_id,
                    score=float(best.score),
                    title_html=highlighter.title(doc.title),
                    snippet_html=highlighter.snippet(body) if snippet else "",
                    matching_posts=(counts or {}).get(doc.thread_id, 1) or 1,
                )
            )
        return hits

    def stats(self, connection: Connection) -> Stats:
        """Posts and average field lengths (BM25F's), cached per process when large."""
        cached = self._stats
        if cached and cached.documents >= STATS_FRESH_BELOW:
            if time.monotonic() - cached.at < STATS_SECONDS:
                return cached
        averages = ", ".join(f"coalesce(avg({column}), 0)" for column in LENGTH_COLUMNS.values())
        estimate = connection.execute(
            sa.text("SELECT reltuples FROM pg_class WHERE oid = CAST(:t AS regclass)"),
            {"t": DOCUMENTS},
        ).scalar()
        if estimate is not None and estimate >= STATS_FRESH_BELOW:
            # Counting a million rows takes seconds: the planner's estimate (kept by
            # autovacuum) and the lengths of a 1 % sample of pages serve BM25F as well.
            row = connection.execute(
                sa.text(f"SELECT 0, {averages} FROM {DOCUMENTS} TABLESAMPLE SYSTEM (1)")
            ).one()
            row = (int(estimate), *row[1:])
        else:
            row = connection.execute(sa.text(f"SELECT count(*), {averages} FROM {DOCUMENTS}")).one()
        stats = Stats(
            int(row[0]),
            {weight: float(value) for weight, value in zip(LENGTH_COLUMNS, row[1:], strict=True)},
            time.monotonic(),
        )
        self._stats = stats
        return stats

    # -- search-as-you-type and similar threads -------------------------------------

    def suggest(self, text: str, limit: int = 8) -> list[SearchHit]:
        try:
            with self._reading() as connection:
                return self._suggest(connection, text, limit)
        except Exception:
            log.exception("search: suggest failed")
            return []

    def _suggest(self, connection: Connection, text: str, limit: int) -> list[SearchHit]:
        text = (text or "")[:100]
        pieces = [Word(w, -1, -1) for w in exact_tokens(text)]
        if not pieces:
            return []
        builder = PgBuilder(Vocabulary(connection), parse(""))
        builder.in_field = "title"
        last_is_prefix = not text[-1:].isspace() and len(pieces[-1].text) >= 2
        clauses: list[Clause] = []
        for i, word in enumerate(pieces):
            if i == len(pieces) - 1 and last_is_prefix:
                builder.highlighter.prefixes.add(word.text)
                terms = builder.vocabulary.prefixed(word.text)[:50]
                clause = builder.expanded(terms + [word.text], word.text)
            else:
                clause = builder.word(word)
            if clause is None:
                return []
            clauses.append(clause)
        query = all_of([c.query for c in clauses])
        compiled = PgCompiled(query, False, None, clauses, [], builder.highlighter)
        found = self._candidates(connection, compiled, SUGGEST_CANDIDATES, " AND is_opening")
        ranked = Ranker(self, connection, clauses, found, coordination=False).score(None)
        ranked.sort(key=lambda item: (-item[0], -found.last_activity_of(item[1]), item[1]))
        shown = [Best(post_id, score, True) for score, post_id in ranked[:limit]]
        return self._hits(connection, shown, builder.highlighter, snippet=False)

    def similar(
        self, subject: int | str, limit: int = 5, exclude_thread: int | None = None
    ) -> list[SearchHit]:
        try:
            with self._reading() as connection:
                return self._similar(connection, subject, limit, exclude_thread)
        except Exception:
            log.exception("search: similar failed")
            return []

    def _similar(
        self, connection: Connection, subject: int | str, limit: int, exclude: int | None
    ) -> list[SearchHit]:
        if isinstance(subject, int):
            payload = connection.execute(
                sa.text(
                    f"SELECT document FROM {DOCUMENTS} WHERE thread_id = :t AND is_opening LIMIT 1"
                ),
                {"t": subject},
            ).scalar()
            if payload is None:
                return []
            doc = document_from_json(payload)
            text = f"{doc.title} {doc.body}"
            exclude = subject if exclude is None else exclude
        else:
            text = subject[:20_000]
        terms = self._key_terms(connection, text)
        if not terms:
            return []
        clauses = [
            Clause(
                any_of([weighted(lexeme, BODY)] + ([weighted(lexeme, TITLE)] if i < 3 else [])),
                None,
                [(lexeme, BODY, weight)] + ([(lexeme, TITLE, weight * 1.5)] if i < 3 else []),
                [lexeme],
            )
            for i, (lexeme, weight) in enumerate(terms)
        ]
        compiled = PgCompiled(
            any_of([c.query for c in clauses]),
            False,
            None,
            clauses,
            [],
            Highlighter(stems={lexeme[1:] for lexeme, _ in terms}),
        )
        extra = " AND is_opening"
        if exclude is not None:
            extra += f" AND thread_id <> {int(exclude)}"
        found = self._candidates(connection, compiled, SIMILAR_CANDIDATES, extra)
        ranked = Ranker(self, connection, clauses, found, coordination=False).score(None)
        ranked.sort(key=lambda item: (-item[0], item[1]))
        shown = [Best(post_id, score, True) for score, post_id in ranked[:limit]]
        return self._hits(connection, shown, compiled.highlighter)

    def _key_terms(self, connection: Connection, text: str) -> list[tuple[str, float]]:
        """The text's most telling stems (Whoosh's Bo1 model over our vocabulary)."""
        counts = Counter(stem_lexeme(stem) for _, stem, _, _ in analyze(text))
        if not counts:
            return []
        documents = max(1, self.stats(connection).documents)
        frequency = Vocabulary(connection).frequencies(counts)
        scored = []
        for lexeme, tf in counts.items():
            df = frequency.get(lexeme, 0)
            if not df:
                continue
            f = df / documents
            scored.append((tf * math.log2((1 + f) / f) + math.log2(1 + f), lexeme))
        scored.sort(key=lambda item: (-item[0], item[1]))
        top = scored[:SIMILAR_TERMS]
        high = top[0][0] if top else 1.0
        return [(lexeme, weight / high) for weight, lexeme in top]

    # -- writing ---------------------------------------------------------------------

    def write_in_transaction(self, connection: Connection, rows: list[dict[str, Any]]) -> bool:
        """Apply a flush's upserts and deletes on its own connection (the post's transaction)."""
        upserts = [document_from_json(row["payload"]) for row in rows if row["op"] == UPSERT]
        deletes = [post_id_of(row["doc_key"]) for row in rows if row["op"] == DELETE]
        self.apply(connection, upserts, [p for p in deletes if p is not None])
        return True

    def apply(
        self, connection: Connection, upserts: list[SearchDocument], deletes: list[int]
    ) -> None:
        if deletes:
            connection.execute(
                sa.text(f"DELETE FROM {DOCUMENTS} WHERE post_id = ANY(:ids)"), {"ids": deletes}
            )
        if upserts:
            rows, words = [], set()
            for doc in upserts:
                row, lexemes = document_row_and_words(doc)
                rows.append(row)
                words |= lexemes
            connection.execute(UPSERT_SQL, rows)
            # Sorted: two transactions adding the same new words wait, never deadlock.
            connection.execute(NEW_TERMS_SQL, {"terms": sorted(words)})

    def after_commit(self, db: Engine) -> None:
        """Nothing to do: documents were written in the transaction."""

    def drain(self, db: Engine, timeout: float = 2.0) -> int:
        """Apply outbox rows left from a time the Whoosh backend was configured."""
        with db.begin() as connection:
            rows = connection.execute(
                sa.select(outbox.c.id, outbox.c.op, outbox.c.doc_key, outbox.c.payload).order_by(
                    outbox.c.id
                )
            ).all()
            last: dict[str, Any] = {}
            for row in rows:
                last.pop(row.doc_key, None)
                last[row.doc_key] = row._asdict()
            self.write_in_transaction(connection, list(last.values()))
            if rows:
                connection.execute(sa.delete(outbox).where(outbox.c.id.in_([r.id for r in rows])))
        return len(rows)

    def drain_pending(self, db: Engine, timeout: float = 2.0) -> int:
        """The same as :meth:`drain`, which raises what goes wrong."""
        return self.drain(db, timeout)

    def pending(self, db: Engine) -> int:
        return backlog(db)

    def rebuild(
        self,
        documents: Documents,
        total: int | None = None,
        progress: Progress | None = None,
        procs: int = 1,
    ) -> int:
        """Replace every document row and the vocabulary, in one transaction.

        The table is locked against writers (not readers) before the documents
        are read: a post committed meanwhile waits and is written after, never
        lost under an older snapshot. Searches keep the old rows until the commit.
        """
        done = 0
        words: Counter[str] = Counter()
        with self.db.begin() as connection:
            connection.execute(sa.text(f"LOCK TABLE {DOCUMENTS} IN EXCLUSIVE MODE"))
            connection.execute(sa.text(f"DELETE FROM {DOCUMENTS}"))
            batch: dict[int, SearchDocument] = {}
            for doc in _documents(documents):
                batch[doc.post_id] = doc
                if len(batch) >= BATCH:
                    done += self._insert(connection, batch, words)
                    if progress is not None:
                        progress(done)
            done += self._insert(connection, batch, words)
            self._replace_terms(connection, words)
        self._stats = None
        self._since.clear()
        if progress is not None:
            progress(done)
        return done

    def _insert(
        self, connection: Connection, batch: dict[int, SearchDocument], words: Counter[str]
    ) -> int:
        if not batch:
            return 0
        rows = []
        for doc in batch.values():
            row, lexemes = document_row_and_words(doc)
            rows.append(row)
            words.update(lexemes)
        connection.execute(UPSERT_SQL, rows)
        count = len(batch)
        batch.clear()
        return count

    @staticmethod
    def _replace_terms(connection: Connection, words: Counter[str]) -> None:
        connection.execute(sa.text(f"DELETE FROM {TERMS}"))
        items = sorted(words.items())
        for start in range(0, len(items), 10_000):
            chunk = items[start : start + 10_000]
            connection.execute(
                sa.text(
                    f"INSERT INTO {TERMS} (term, ndoc) "
                    "SELECT * FROM unnest(CAST(:terms AS text[]), CAST(:counts AS int[]))"
                ),
                {"terms": [t for t, _ in chunk], "counts": [n for _, n in chunk]},
            )

    def check(
        self, documents: Documents, repair: bool = False, progress: Progress | None = None
    ) -> DriftReport:
        """Compare keys and digests with the database's documents; ``repair`` fixes them."""
        report = DriftReport()
        with self.db.begin() as connection:
            indexed = dict(
                connection.execute(sa.text(f"SELECT post_id, digest FROM {DOCUMENTS}")).all()
            )
            fixes: list[SearchDocument] = []
            seen: set[int] = set()
            for doc in _documents(documents):
                report.checked += 1
                if progress is not None and report.checked % PROGRESS_EVERY == 0:
                    progress(report.checked)
                seen.add(doc.post_id)
                digest = indexed.get(doc.post_id)
                if digest is None:
                    report.missing.append(doc.key)
                elif digest != document_digest(doc):
                    report.stale.append(doc.key)
                else:
                    continue
                fixes.append(doc)
            extra = sorted(set(indexed) - seen)
            report.extra = [f"post:{post_id}" for post_id in extra]
            if repair and not report.clean:
                self.apply(connection, fixes, extra)
                report.repaired = True
        if progress is not None:
            progress(report.checked)
        return report

    # -- facts -----------------------------------------------------------------------

    def status(self, db: Engine | None = None) -> dict[str, Any]:
        info: dict[str, Any] = {
            "backend": self.name,
            "schema_version": SCHEMA_VERSION,
            "available": False,
            "documents": None,
            "vocabulary": None,
            "candidates": CANDIDATES,
        }
        try:
            with self.db.connect() as connection:
                info["documents"] = connection.execute(
                    sa.text(f"SELECT count(*) FROM {DOCUMENTS}")
                ).scalar_one()
                info["vocabulary"] = connection.execute(
                    sa.text(f"SELECT count(*) FROM {TERMS}")
                ).scalar_one()
            info["available"] = True
        except Exception as error:
            info["error"] = type(error).__name__
        info["rebuilding"] = False
        if db is not None:
            try:
                info["outbox_backlog"] = backlog(db)
            except Exception:
                info["outbox_backlog"] = None
        return info

    def optimize(self) -> None:
        """Refresh the planner's statistics (PostgreSQL merges GIN pending lists itself)."""
        with self.db.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text(f"VACUUM ANALYZE {DOCUMENTS}"))
            connection.execute(sa.text(f"ANALYZE {TERMS}"))

    def close(self) -> None:
        self._stats = None
        self._since.clear()

    def join_recovery(self, timeout: float | None = None) -> None:
        """Nothing rebuilds itself here (the tables are the database's)."""


class Ranker:
    """Scores candidates as :func:`.scoring.score_posts` does: coordination, then BM25F."""

    def __init__(
        self,
        engine: PostgresEngine,
        connection: Connection,
        clauses: list[Clause],
        found: Found,
        coordination: bool = True,
    ) -> None:
        self.engine = engine
        self.connection = connection
        self.clauses = clauses
        self.found = found
        self.coordination = coordination

    def weights(self, documents: int) -> list[float]:
        """Each clause's IDF over all posts (exact while every match is a candidate)."""
        if not self.found.truncated:
            counts = [
                sum(1 for c in self.found.candidates if c.matched[n])
                for n in range(len(self.clauses))
            ]
        else:
            vocabulary = Vocabulary(self.connection)
            counts = []
            for n, clause in enumerate(self.clauses):
                frequency = vocabulary.frequencies(clause.lexemes)
                seen = sum(1 for c in self.found.candidates if c.matched[n])
                counts.append(min(documents, max([seen, *frequency.values()])))
        return [math.log(documents / (count + 1)) + 1.0 for count in counts]

    def score(
        self, wanted_threads: int | None, only_threads: set[int] | None = None
    ) -> list[tuple[float, int]]:
        candidates = self.found.candidates
        if only_threads is not None:
            candidates = [c for c in candidates if c.thread_id in only_threads]
        if not candidates:
            return []
        stats = self.engine.stats(self.connection)
        documents = max(stats.documents, 1)
        weights = self.weights(documents)
        coord: dict[int, float] = {}
        for c in candidates:
            value = 0.0
            for n, weight in enumerate(weights):
                if c.matched[n]:
                    if c.in_title[n]:
                        value += weight * TITLE_MENTION
                    elif c.opening:
                        value += weight
                    else:
                        value += weight * REPLY_MENTION
            coord[c.post_id] = value if self.coordination else 0.0
        targets = candidates
        if wanted_threads is not None:
            tiers: dict[float, list[Candidate]] = {}
            for c in candidates:
                tiers.setdefault(coord[c.post_id], []).append(c)
            targets, threads = [], set()
            for value in sorted(tiers, reverse=True):
                targets.extend(tiers[value])
                threads.update(c.thread_id for c in tiers[value])
                if len(threads) >= wanted_threads:
                    break
        bm25 = self.bm25(targets, weights, stats)
        return [
            (coord[c.post_id] * CLAUSE_WEIGHT + bm25.get(c.post_id, 0.0) * lift(c), c.post_id)
            for c in targets
        ]

    def bm25(
        self, targets: list[Candidate], weights: list[float], stats: Stats
    ) -> dict[int, float]:
        lexemes = sorted({lexeme for clause in self.clauses for lexeme, _, _ in clause.terms})
        if not targets or not lexemes:
            return {}
        rows = self.connection.execute(
            sa.text(
                f"SELECT d.post_id, u.lexeme, u.weights FROM {DOCUMENTS} d "
                "CROSS JOIN LATERAL unnest(d.tsv) AS u "
                "WHERE d.post_id = ANY(:ids) AND u.lexeme = ANY(:lexemes)"
            ),
            {"ids": [c.post_id for c in targets], "lexemes": lexemes},
        )
        frequencies: dict[int, dict[tuple[str, str], int]] = {}
        for post_id, lexeme, letters in rows:
            per = frequencies.setdefault(post_id, {})
            for letter, count in Counter(letters or ["D"]).items():
                per[(lexeme, letter)] = count
        scores: dict[int, float] = {}
        flat = 1 - B
        for c in targets:
            per = frequencies.get(c.post_id)
            if not per:
                continue
            total = 0.0
            for clause, weight in zip(self.clauses, weights, strict=True):
                x = 0.0
                for lexeme, letter, boost in dict.fromkeys(clause.terms):
                    tf = per.get((lexeme, letter))
                    if tf:
                        average = stats.average.get(letter) or 1.0
                        x += boost * tf / (flat + B / average * c.lengths[letter])
                if x:
                    total += weight * x * (K1 + 1) / (K1 + x)
            scores[c.post_id] = total
        return scores


def lift(candidate: Candidate) -> float:
    """The BM25F part's lifts, as :func:`.scoring._lift`: opening, verified, evidence."""
    value = OPENING_LIFT if candidate.opening else 1.0
    if candidate.verified:
        value *= VERIFIED_LIFT
    return value * EVIDENCE_LIFT if candidate.lifted else value


def schema_statements() -> list[str]:
    """The DDL of the PostgreSQL search tables (what the migration runs)."""
    return [
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        f"""CREATE TABLE IF NOT EXISTS {DOCUMENTS} (
            post_id bigint PRIMARY KEY,
            thread_id bigint NOT NULL,
            is_opening boolean NOT NULL,
            kind text NOT NULL,
            author text NOT NULL,
            region text NOT NULL,
            province text NOT NULL,
            solved boolean NOT NULL,
            lifted boolean NOT NULL,
            verified boolean NOT NULL,
            created timestamptz NOT NULL,
            last_activity timestamptz NOT NULL,
            title_len integer NOT NULL,
            body_len integer NOT NULL,
            extra_len integer NOT NULL,
            tags_len integer NOT NULL,
            tsv tsvector NOT NULL,
            digest text NOT NULL,
            document text NOT NULL)""",
        f"CREATE INDEX IF NOT EXISTS ix_{DOCUMENTS}_tsv ON {DOCUMENTS} USING gin (tsv)",
        f"CREATE INDEX IF NOT EXISTS ix_{DOCUMENTS}_created ON {DOCUMENTS} (created, post_id)",
        f"CREATE INDEX IF NOT EXISTS ix_{DOCUMENTS}_thread ON {DOCUMENTS} (thread_id)",
        f"""CREATE TABLE IF NOT EXISTS {TERMS} (
            term text COLLATE "C" PRIMARY KEY,
            ndoc integer NOT NULL)""",
        f"CREATE INDEX IF NOT EXISTS ix_{TERMS}_trgm ON {TERMS} USING gin (term gin_trgm_ops)",
    ]


def create_schema(db: Engine) -> None:
    """Create the tables if missing (tests and tools; deployments run the migration)."""
    with db.begin() as connection:
        for statement in schema_statements():
            connection.execute(sa.text(statement))


def drop_schema(connection: Connection) -> None:
    for table in TABLES:
        connection.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
