"""Benchmark the search engine against bare Whoosh and SQLite FTS5 on one generated corpus.

    .venv/bin/python bench/search.py --posts 20000

Measures, on the same posts and the same 200 queries: build time and index
size, query latency (p50/p95) by kind, adding one post, and ranking quality
(recall@10, NDCG@10 over threads) on a judged set of librarian-style queries
whose relevance comes from the generator's topic labels. Figures go to stdout
and, with ``--json``, to a file; bench/RESULTS.md holds the latest run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import re
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from corpus import TOPICS
from corpus import generate
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import sessionmaker
from whoosh import qparser
from whoosh import query as wq

from search_index import SearchDocument
from search_index import SearchEngine
from search_index import SearchFilters
from search_index import define_table
from search_index.schema import document_fields

KINDS = ["one_word", "two_word", "phrase", "prefix", "filtered"]

JUDGED_FILE = Path(__file__).with_name("judged") / "queries.tsv"


@dataclass(frozen=True)
class Judged:
    """One judged query: relevant to every thread of ``topic``."""

    text: str
    topic: str
    style: str  # keyword | question | chat

    @property
    def held_out(self) -> bool:
        """Half the queries, by a hash of their text: never looked at while tuning."""
        return hashlib.sha256(self.text.encode()).digest()[0] % 2 == 1


def load_judged(path: Path = JUDGED_FILE) -> list[Judged]:
    judged = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            text, topic, style = line.split("\t")
            judged.append(Judged(text, topic, style))
    return judged


JUDGED = load_judged()


# -- queries ----------------------------------------------------------------------------


def make_queries(docs: list[SearchDocument], rng: random.Random, per_kind: int) -> list[dict]:
    """``per_kind`` queries of each kind, from the topics' words and the corpus itself."""
    families = [family for spec in TOPICS.values() for family in spec[0]]
    regions = sorted({doc.region for doc in docs})
    queries = []
    for _ in range(per_kind):
        queries.append({"kind": "one_word", "q": rng.choice(rng.choice(families))})
    for _ in range(per_kind):
        topic = TOPICS[rng.choice(sorted(TOPICS))][0]
        words = [rng.choice(family) for family in rng.sample(topic, 2)]
        queries.append({"kind": "two_word", "q": " ".join(words)})
    for _ in range(per_kind):
        body = rng.choice(docs).body
        words = re.findall(r"[a-z]{4,}", body.lower())
        start = rng.randrange(max(1, len(words) - 1))
        queries.append({"kind": "phrase", "q": f'"{words[start]} {words[start + 1]}"'})
    for _ in range(per_kind):
        word = rng.choice([w for f in families for w in f if len(w) >= 7])
        queries.append({"kind": "prefix", "q": word[: rng.randint(5, 6)] + "*"})
    for _ in range(per_kind):
        topic = TOPICS[rng.choice(sorted(TOPICS))][0]
        words = [rng.choice(family) for family in rng.sample(topic, 2)]
        queries.append(
            {
                "kind": "filtered",
                "q": " ".join(words),
                "filters": {
                    "kind": rng.choice(["practice", "challenge"]),
                    "region": rng.choice(regions),
                },
            }
        )
    return queries


# -- our engine, bare Whoosh, FTS5 --------------------------------------------------------


def ours(engine: SearchEngine) -> Callable[[dict], list[int]]:
    def run(query: dict) -> list[int]:
        filters = SearchFilters(**query["filters"]) if query.get("filters") else None
        results = engine.search(query["q"], filters)
        return [hit.thread_id for hit in results.hits]

    return run


def bare_whoosh(engine: SearchEngine) -> tuple[Callable[[dict], list[int]], Callable[[], None]]:
    """Whoosh's own parser and search on the same index, with highlights for each hit."""
    searcher = engine.store.index().searcher()
    parser = qparser.MultifieldParser(
        ["title", "body"], searcher.schema, group=qparser.OrGroup.factory(0.9)
    )

    def run(query: dict) -> list[int]:
        parsed = parser.parse(query["q"])
        flt = None
        if query.get("filters"):
            flt = wq.And([wq.Term(k, v) for k, v in query["filters"].items()])
        hits = searcher.search(parsed, limit=20, filter=flt)
        for hit in hits:
            hit.highlights("body")
        return [int(hit["thread_id"]) for hit in hits]

    return run, searcher.close


FTS_WORD = re.compile(r"[^\W_]+")


def fts_expression(text: str, joiner: str = " ") -> str:
    if text.startswith('"'):
        return '"' + " ".join(FTS_WORD.findall(text)) + '"'
    if text.endswith("*"):
        return FTS_WORD.findall(text)[0] + "*"
    return joiner.join(f'"{w}"' for w in FTS_WORD.findall(text.lower()))


def build_fts(path: Path, docs: list[SearchDocument]) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    connection.execute(
        "CREATE VIRTUAL TABLE posts USING fts5(title, body, thread_id UNINDEXED, "
        "kind UNINDEXED, region UNINDEXED, tokenize='unicode61 remove_diacritics 2')"
    )
    with connection:
        connection.executemany(
            "INSERT INTO posts(rowid, title, body, thread_id, kind, region) VALUES (?,?,?,?,?,?)",
            [(d.post_id, d.title, d.body, d.thread_id, d.kind, d.region) for d in docs],
        )
    return connection


def fts(connection: sqlite3.Connection, joiner: str = " ") -> Callable[[dict], list[int]]:
    def run(query: dict, limit: int = 20) -> list[int]:
        sql = (
            "SELECT thread_id, snippet(posts, 1, '<mark>', '</mark>', '…', 32) FROM posts "
            "WHERE posts MATCH ?"
        )
        params: list[object] = [fts_expression(query["q"], joiner)]
        for name, value in (query.get("filters") or {}).items():
            sql += f" AND {name} = ?"
            params.append(value)
        sql += " ORDER BY rank LIMIT ?"
        params.append(limit)
        return [row[0] for row in connection.execute(sql, params)]

    return run


# -- measuring --------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def latencies(run: Callable[[dict], object], queries: list[dict]) -> dict[str, dict[str, float]]:
    for query in queries:  # warm caches (stems, columns, OS page cache)
        run(query)
    by_kind: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for query in queries:
        start = time.perf_counter()
        run(query)
        by_kind[query["kind"]].append((time.perf_counter() - start) * 1000)
    return {
        kind: {"p50": statistics.median(v), "p95": percentile(v, 95)} for kind, v in by_kind.items()
    }


def threads_in_order(posts: list[int], n: int = 10) -> list[int]:
    return list(dict.fromkeys(posts))[:n]


def quality(
    run: Callable[[str], list[int]], relevant: dict[str, set[int]], judged: list[Judged]
) -> dict[str, float]:
    """recall@10, NDCG@10, MRR and precision@1 over threads (means over ``judged``)."""
    recalls, ndcgs, ranks, firsts = [], [], [], []
    for query in judged:
        ranked = run(query.text)[:10]
        wanted = relevant[query.topic]
        hits = [1 if thread in wanted else 0 for thread in ranked]
        ideal = min(10, len(wanted))
        recalls.append(sum(hits) / ideal if ideal else 0.0)
        dcg = sum(h / math.log2(i + 2) for i, h in enumerate(hits))
        idcg = sum(1 / math.log2(i + 2) for i in range(ideal))
        ndcgs.append(dcg / idcg if idcg else 0.0)
        ranks.append(1 / (hits.index(1) + 1) if 1 in hits else 0.0)
        firsts.append(float(hits[:1] == [1]))
    return {
        "recall@10": statistics.mean(recalls),
        "ndcg@10": statistics.mean(ndcgs),
        "mrr": statistics.mean(ranks),
        "p@1": statistics.mean(firsts),
    }


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the writer processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def directory_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


class Base(DeclarativeBase):
    pass


class Row(Base):
    """The post row for the add-one-post measurement (commit + outbox + drain)."""

    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    payload: Mapped[str] = mapped_column(sa.Text)
    document = None

    def search_changes(self) -> list[SearchDocument]:
        return [self.document]


define_table(Base.metadata)


def add_one_post(engine: SearchEngine, workdir: Path, docs: list[SearchDocument], n: int):
    """Commit one post at a time through the outbox and drain (the request path)."""
    db = sa.create_engine(f"sqlite:///{workdir / 'forum.sqlite'}")
    Base.metadata.create_all(db)
    factory = sessionmaker(db, expire_on_commit=False)
    engine.install_hooks(factory)
    timings = []
    for i, doc in enumerate(docs[:n]):
        row = Row(id=10_000_000 + i, payload="")
        row.document = SearchDocument(**{**doc.__dict__, "post_id": 10_000_000 + i})
        start = time.perf_counter()
        with factory() as session:
            session.add(row)
            session.commit()
        timings.append((time.perf_counter() - start) * 1000)
    db.dispose()
    return timings


def bare_add_one(engine: SearchEngine, docs: list[SearchDocument], n: int) -> list[float]:
    timings = []
    for i, doc in enumerate(docs[:n]):
        doc = SearchDocument(**{**doc.__dict__, "post_id": 20_000_000 + i})
        start = time.perf_counter()
        writer = engine.store.writer(timeout=5)
        writer.add_document(**document_fields(doc))
        writer.commit(merge=False)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def fts_add_one(connection: sqlite3.Connection, docs: list[SearchDocument], n: int):
    timings = []
    for i, d in enumerate(docs[:n]):
        start = time.perf_counter()
        with connection:
            connection.execute(
                "INSERT INTO posts(rowid, title, body, thread_id, kind, region) "
                "VALUES (?,?,?,?,?,?)",
                (30_000_000 + i, d.title, d.body, d.thread_id, d.kind, d.region),
            )
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def summary(values: list[float]) -> dict[str, float]:
    return {"p50": statistics.median(values), "p95": percentile(values, 95)}


def measure_latency(report, engine, connection, docs, args, bare_run) -> None:
    rng = random.Random(args.seed)
    queries = make_queries(docs, rng, args.queries_per_kind)
    report["latency_ms"] = {
        "ours": latencies(ours(engine), queries),
        "bare_whoosh": latencies(bare_run, queries),
        "fts5": latencies(fts(connection), queries),
    }
    print(
        "\nlatency ms          ours p50/p95    bare whoosh p50/p95   fts5 p50/p95   "
        "ours/fts5 p95  ours/bare p95"
    )
    for kind in KINDS:
        o, b, s = (report["latency_ms"][name][kind] for name in ("ours", "bare_whoosh", "fts5"))
        print(
            f"  {kind:10} {o['p50']:8.1f} {o['p95']:8.1f}   {b['p50']:8.1f} {b['p95']:8.1f}"
            f"   {s['p50']:7.1f} {s['p95']:7.1f}   {o['p95'] / s['p95']:9.1f}x"
            f"   {o['p95'] / b['p95']:9.2f}x",
            flush=True,
        )


def merged_latency(report, engine, docs, args) -> None:
    """Merge the rebuild's segments into one (as before issue 18's rebuild) and measure
    our latency again on the same queries: the segments' cost, side by side."""
    start, cpu = time.perf_counter(), cpu_seconds()
    writer = engine.store.writer(timeout=5)
    writer.commit(optimize=True)
    engine.store.invalidate()
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    report["build"]["merge_after"] = {"seconds": seconds, "cpu_seconds": cpu}
    queries = make_queries(docs, random.Random(args.seed), args.queries_per_kind)
    merged = latencies(ours(engine), queries)
    several = report["latency_ms"]["ours"]
    report["latency_ms"]["ours_one_segment"] = merged
    print(f"\nmerged into one segment in {seconds:.1f}s ({cpu:.1f} CPU s)")
    print("latency ms          segments p50/p95   one segment p50/p95")
    for kind in KINDS:
        a, b = several[kind], merged[kind]
        print(f"  {kind:10} {a['p50']:8.1f} {a['p95']:8.1f}   {b['p50']:8.1f} {b['p95']:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--queries-per-kind", type=int, default=40)
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--procs", type=int, default=1, help="writer processes for the build")
    parser.add_argument("--adds", type=int, default=30, help="posts for add-one-post latency")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--quality-only", action="store_true", help="skip latency and adds")
    parser.add_argument(
        "--then-merged",
        action="store_true",
        help="after the latency run, merge the segments into one and measure ours again",
    )
    parser.add_argument(
        "--half",
        choices=["both", "tuning"],
        default="both",
        help="'tuning' while changing the ranking: the held-out half stays unseen",
    )
    args = parser.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="serambi-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    report: dict = {
        "posts": args.posts,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }
    print(f"corpus: {args.posts} posts, seed {args.seed}, workdir {workdir}", flush=True)
    pairs = list(generate(args.posts, args.seed))
    docs = [doc for doc, _ in pairs]
    labels = {label.thread_id: label for _, label in pairs}
    words = sum(len(doc.body.split()) for doc in docs)
    report["threads"] = len(labels)
    report["avg_words"] = words / len(docs)
    print(f"  {len(labels)} threads, {words / len(docs):.0f} words a post", flush=True)

    index_dir = workdir / "whoosh"
    shutil.rmtree(index_dir, ignore_errors=True)
    engine = SearchEngine(index_dir, background=False)
    start, cpu = time.perf_counter(), cpu_seconds()
    engine.rebuild(iter(docs), total=len(docs), procs=args.procs)
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    report["build"] = {
        "ours": {
            "seconds": seconds,
            "docs_per_s": len(docs) / seconds,
            "cpu_seconds": cpu,  # all processes: compare builds on a busy machine
            "bytes": directory_size(index_dir),
            "segments": engine.store.segment_count(),
        },
    }
    print(
        f"build ours: {seconds:.1f}s, {len(docs) / seconds:.0f} docs/s, "
        f"{cpu:.1f} CPU s, {engine.store.segment_count()} segments, "
        f"{directory_size(index_dir) / 1e6:.1f} MB; load {os.getloadavg()[0]:.1f}",
        flush=True,
    )

    fts_path = workdir / "fts.sqlite"
    fts_path.unlink(missing_ok=True)
    start = time.perf_counter()
    connection = build_fts(fts_path, docs)
    seconds = time.perf_counter() - start
    report["build"]["fts5"] = {
        "seconds": seconds,
        "docs_per_s": len(docs) / seconds,
        "bytes": fts_path.stat().st_size,
    }
    print(
        f"build fts5: {seconds:.1f}s, {len(docs) / seconds:.0f} docs/s, "
        f"{fts_path.stat().st_size / 1e6:.1f} MB",
        flush=True,
    )

    bare_run, bare_close = bare_whoosh(engine)
    if not args.quality_only:
        measure_latency(report, engine, connection, docs, args, bare_run)
        if args.then_merged and engine.store.segment_count() > 1:
            bare_close()
            merged_latency(report, engine, docs, args)
            bare_run, bare_close = bare_whoosh(engine)

    relevant: dict[str, set[int]] = {}
    for thread_id, label in labels.items():
        relevant.setdefault(label.topic, set()).add(thread_id)
    fts_and, fts_or = fts(connection), fts(connection, " OR ")
    engines = {
        "ours": lambda q: [h.thread_id for h in engine.search(q, per_page=10).hits],
        "bare_whoosh": lambda q: threads_in_order(bare_run({"q": q})),
        "fts5_and": lambda q: threads_in_order(fts_and({"q": q}, 200)),
        "fts5_or": lambda q: threads_in_order(fts_or({"q": q}, 200)),
    }
    halves = {"tuning": [j for j in JUDGED if not j.held_out]}
    if args.half == "both":
        halves["held_out"] = [j for j in JUDGED if j.held_out]
    report["quality"] = {}
    for half, judged in halves.items():
        groups = {"all": judged}
        for style in ("keyword", "question", "chat"):
            groups[style] = [j for j in judged if j.style == style]
        report["quality"][half] = {
            name: {group: quality(run, relevant, queries) for group, queries in groups.items()}
            for name, run in engines.items()
        }
    vocabulary = {w for doc in docs for w in FTS_WORD.findall(f"{doc.title} {doc.body}".lower())}
    query_words = [w for j in JUDGED for w in FTS_WORD.findall(j.text.lower())]
    unseen = sorted({w for w in query_words if w not in vocabulary})
    report["judged_words_not_in_corpus"] = unseen
    print(
        f"\nquality over {len(JUDGED)} judged queries (threads); query words the posts "
        f"never contain: {len(unseen)} of {len(set(query_words))}"
    )
    for half, by_engine in report["quality"].items():
        print(f"\n  {half} half ({len(halves[half])} queries):")
        print("  engine        group      recall@10  ndcg@10   mrr     p@1")
        for name, by_group in by_engine.items():
            for group, v in by_group.items():
                print(
                    f"  {name:12}  {group:9}  {v['recall@10']:.3f}      {v['ndcg@10']:.3f}"
                    f"     {v['mrr']:.3f}   {v['p@1']:.3f}"
                )
    bare_close()
    if args.quality_only:
        finish(report, args, workdir, connection, engine)
        return

    report["add_one_ms"] = {
        "ours_commit_and_drain": summary(add_one_post(engine, workdir, docs, args.adds)),
        "bare_whoosh_commit": summary(bare_add_one(engine, docs, args.adds)),
        "fts5_insert_commit": summary(fts_add_one(connection, docs, args.adds)),
    }
    print("\nadd one post ms:")
    for name, values in report["add_one_ms"].items():
        print(f"  {name:24} p50 {values['p50']:.1f}  p95 {values['p95']:.1f}")
    finish(report, args, workdir, connection, engine)


def finish(report, args, workdir, connection, engine) -> None:
    connection.close()
    engine.close()
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
