"""Search on PostgreSQL against Whoosh: ranking quality side by side, and latency at scale.

    .venv/bin/python bench/scale.py quality --posts 20000
    .venv/bin/python bench/scale.py scale --posts 1000000 --analysed 300000 --whoosh-posts 100000

``quality``: the judged queries of bench/search.py (bench/judged/) on one
generated corpus, each backend's recall@10, NDCG@10, MRR and P@1, and
PostgreSQL's again with every match ranked (``pg-unbound``: what the
candidate bound costs).

``scale``: ``--analysed`` generated posts are indexed into PostgreSQL through
``PostgresEngine.rebuild`` (what ``flask search reindex`` runs: the Python
analysis and executemany inserts; that time is the build time measured); the
rest up to ``--posts`` are copies made inside PostgreSQL (``INSERT ... SELECT``
with new ids, dates shifted by whole corpus spans), because analysing a
million posts in Python takes longer than this machine's budget: the figures
say which. Then p50/p95 of the five query kinds of bench/search.py (with
snippets) on PostgreSQL, and on Whoosh at ``--whoosh-posts`` in the same run.
Needs TEST_DATABASE_URL (an admin URL; a scratch database is made and dropped).
``--database NAME`` keeps the PostgreSQL database instead: a later run with the
same name and ``--posts`` reuses it (no build; its build time is the first run's)
so that query changes can be measured again in minutes. Drop it by hand after.
``--whoosh-dir`` does the same for the Whoosh index (``--no-postgres`` only
builds it); both backends' latencies are then measured back to back.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from corpus import generate
from search import JUDGED
from search import KINDS
from search import latencies
from search import make_queries
from search import ours
from search import quality
from sqlalchemy.engine import make_url

from search_index import PostgresEngine
from search_index import SearchEngine
from search_index import postgres_backend
from search_index.postgres_backend import CANDIDATES
from search_index.postgres_backend import DOCUMENTS
from search_index.postgres_backend import create_schema
from search_index.postgres_backend import schema_statements

SPAN = "3 years"  # the generator's posts lie within two years: copies never overlap


def scratch_database(name: str, keep: bool = False) -> tuple[sa.Engine, sa.Engine]:
    """A new database ``name`` (an existing one is kept with ``keep``)."""
    base = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).scalar()
        if not (keep and exists):
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    return admin, sa.create_engine(url)


def built_posts(db: sa.Engine) -> int:
    """Rows already in a kept database's search_documents (0 when it is new)."""
    with db.connect() as conn:
        if conn.execute(sa.text("SELECT to_regclass('search_documents')")).scalar() is None:
            return 0
        return int(conn.execute(sa.text("SELECT count(*) FROM search_documents")).scalar_one())


def drop_database(admin: sa.Engine, db: sa.Engine, name: str) -> None:
    db.dispose()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def build_postgres(db: sa.Engine, docs) -> tuple[PostgresEngine, float]:
    create_schema(db)
    engine = PostgresEngine(db)
    start = time.perf_counter()
    engine.rebuild(iter(docs), total=len(docs))
    return engine, time.perf_counter() - start


def build_whoosh(workdir: Path, docs, procs: int) -> tuple[SearchEngine, float]:
    index_dir = workdir / "whoosh"
    shutil.rmtree(index_dir, ignore_errors=True)
    engine = SearchEngine(index_dir, background=False)
    start = time.perf_counter()
    engine.rebuild(iter(docs), total=len(docs), procs=procs)
    return engine, time.perf_counter() - start


def amplify(db: sa.Engine, analysed: int, posts: int) -> float:
    """Copies of the analysed rows (new post and thread ids, later dates) up to ``posts``.

    The indexes are dropped while copying and made again after (keeping a GIN
    index up to date row by row made the copies take over an hour on a loaded box).
    """
    start = time.perf_counter()
    indexes = [s for s in schema_statements() if s.startswith("CREATE INDEX") and DOCUMENTS in s]
    with db.begin() as conn:
        for statement in indexes:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {statement.split()[5]}")
        threads = conn.execute(sa.text("SELECT max(thread_id) FROM search_documents")).scalar()
        copy = 1
        while analysed * copy < posts:
            remaining = min(posts - analysed * copy, analysed)
            conn.execute(
                sa.text(
                    "INSERT INTO search_documents SELECT post_id + CAST(:k AS bigint) * :n, "
                    "thread_id + CAST(:k AS bigint) * :t, "
                    "is_opening, kind, author, region, province, solved, lifted, verified, "
                    "created + :k * CAST(:span AS interval), "
                    "last_activity + :k * CAST(:span AS interval), title_len, body_len, "
                    "extra_len, tags_len, tsv, digest, document FROM search_documents "
                    "WHERE post_id <= :limit"
                ),
                {"k": copy, "n": analysed, "t": threads, "span": SPAN, "limit": remaining},
            )
            copy += 1
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
        for statement in indexes:
            conn.exec_driver_sql(statement)
        factor = posts / analysed
        conn.execute(sa.text("UPDATE search_terms SET ndoc = ceil(ndoc * :f)"), {"f": factor})
    with db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE search_documents")
        conn.exec_driver_sql("ANALYZE search_terms")
    return time.perf_counter() - start


def table_bytes(db: sa.Engine) -> int:
    with db.connect() as conn:
        return int(
            conn.execute(
                sa.text(
                    "SELECT pg_total_relation_size('search_documents') "
                    "+ pg_total_relation_size('search_terms')"
                )
            ).scalar_one()
        )


def run_quality(args) -> dict:
    pairs = list(generate(args.posts, args.seed))
    docs = [doc for doc, _ in pairs]
    relevant: dict[str, set[int]] = {}
    for _, label in pairs:
        relevant.setdefault(label.topic, set()).add(label.thread_id)
    workdir = args.whoosh_dir or Path(tempfile.mkdtemp(prefix="serambi-scale-"))
    name = f"serambi_bench_quality_{os.getpid()}"
    admin, db = scratch_database(name)
    try:
        report: dict = {"posts": args.posts}
        whoosh = kept_or_built_whoosh(workdir, docs, args, report)
        postgres, postgres_s = build_postgres(db, docs)
        report["pg_build_s"] = postgres_s
        print(f"postgresql build of {len(docs)} posts: {postgres_s:.1f}s", flush=True)
        halves = {
            "tuning": [j for j in JUDGED if not j.held_out],
            "held_out": [j for j in JUDGED if j.held_out],
        }
        backends = (
            ("whoosh", whoosh, CANDIDATES),
            ("postgresql", postgres, CANDIDATES),
            ("pg-unbound", postgres, 10**9),  # every match ranked: what the bound costs
        )
        for half, judged in halves.items():
            report[half] = {}
            for name_, engine, bound in backends:
                postgres_backend.CANDIDATES = bound
                run = lambda q, e=engine: [h.thread_id for h in e.search(q, per_page=10).hits]  # noqa: E731
                report[half][name_] = quality(run, relevant, judged)
        postgres_backend.CANDIDATES = CANDIDATES
        print("half       backend      recall@10  ndcg@10  mrr    p@1")
        for half in halves:
            for name_, v in report[half].items():
                print(
                    f"{half:10} {name_:11}  {v['recall@10']:.3f}      {v['ndcg@10']:.3f}"
                    f"    {v['mrr']:.3f}  {v['p@1']:.3f}"
                )
        whoosh.close()
        return report
    finally:
        drop_database(admin, db, name)
        if not args.whoosh_dir:
            shutil.rmtree(workdir, ignore_errors=True)


def run_scale(args) -> dict:
    analysed = min(args.analysed, args.posts)
    pairs = list(generate(analysed, args.seed))
    docs = [doc for doc, _ in pairs]
    rng = random.Random(args.seed)
    queries = make_queries(docs, rng, args.queries_per_kind)
    report: dict = {"posts": args.posts, "analysed": analysed, "candidates": CANDIDATES}
    name = args.database or f"serambi_bench_scale_{os.getpid()}"
    admin, db = scratch_database(name, keep=bool(args.database))
    workdir = args.whoosh_dir or Path(tempfile.mkdtemp(prefix="serambi-scale-"))
    try:
        postgres = None
        if not args.no_postgres:
            postgres = kept_or_built_postgres(db, name, docs, args.posts, report)
            report["pg_bytes"] = table_bytes(db)
        whoosh = None
        if args.whoosh_posts:
            whoosh = kept_or_built_whoosh(workdir, docs[: args.whoosh_posts], args, report)
        if postgres is not None:  # the two measured back to back, under the same load
            report["pg_ms"] = latencies(ours(postgres), queries)
            print_latency(f"postgresql at {args.posts} posts", report["pg_ms"])
        if whoosh is not None:
            report["whoosh_ms"] = latencies(ours(whoosh), queries)
            print_latency(f"whoosh at {args.whoosh_posts} posts", report["whoosh_ms"])
            whoosh.close()
        return report
    finally:
        if args.database:
            db.dispose()
            admin.dispose()
        else:
            drop_database(admin, db, name)
        if not args.whoosh_dir:
            shutil.rmtree(workdir, ignore_errors=True)


def kept_or_built_postgres(db: sa.Engine, name: str, docs, posts: int, report: dict):
    """The kept database when it holds ``posts`` posts; a new corpus when it is empty."""
    held = built_posts(db)
    if held == posts:
        print(f"reusing database {name} ({posts} posts)", flush=True)
        return PostgresEngine(db)
    if held:
        raise SystemExit(f"database {name} holds {held} posts, not {posts}: drop it first")
    return build_pg_corpus(db, docs, posts, report)


def kept_or_built_whoosh(workdir: Path, docs, args, report: dict) -> SearchEngine:
    """The kept Whoosh index (``--whoosh-dir``) when it holds these posts, or a new one."""
    if args.whoosh_dir and (workdir / "whoosh").exists():
        engine = SearchEngine(workdir / "whoosh", background=False)
        if engine.status()["documents"] == len(docs):
            print(f"reusing the Whoosh index in {workdir} ({len(docs)} posts)", flush=True)
            return engine
        engine.close()
    engine, seconds = build_whoosh(workdir, docs, args.procs)
    report["whoosh_build_s"] = seconds
    print(f"whoosh build of {len(docs)} posts: {seconds:.1f}s", flush=True)
    return engine


def build_pg_corpus(db: sa.Engine, docs, posts: int, report: dict) -> PostgresEngine:
    """The analysed posts through ``rebuild``, then copies up to ``posts`` (timed)."""
    postgres, seconds = build_postgres(db, docs)
    report["pg_build_s"] = seconds
    report["pg_posts_per_s"] = len(docs) / seconds
    print(f"postgresql build of {len(docs)} posts: {seconds:.1f}s", flush=True)
    if posts > len(docs):
        report["pg_copy_s"] = amplify(db, len(docs), posts)
        print(f"copied up to {posts} posts: {report['pg_copy_s']:.1f}s", flush=True)
    return postgres


def print_latency(title: str, figures: dict) -> None:
    print(f"{title}: kind p50/p95 ms", flush=True)
    for kind in KINDS:
        print(f"  {kind:10} {figures[kind]['p50']:8.1f} {figures[kind]['p95']:8.1f}", flush=True)
    worst = max(figures[kind]["p95"] for kind in KINDS)
    print(
        f"  worst p95 {worst:.1f} ms; median p50 "
        f"{statistics.median(figures[k]['p50'] for k in KINDS):.1f} ms",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["quality", "scale"])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--analysed", type=int, default=300_000)
    parser.add_argument("--whoosh-posts", type=int, default=100_000)
    parser.add_argument("--queries-per-kind", type=int, default=30)
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--database", default=None, help="keep (and reuse) this database")
    parser.add_argument("--whoosh-dir", type=Path, default=None, help="keep (and reuse) Whoosh's")
    parser.add_argument("--no-postgres", action="store_true", help="Whoosh only (to build it)")
    args = parser.parse_args()
    report = run_quality(args) if args.mode == "quality" else run_scale(args)
    report["command"] = " ".join([Path(sys.executable).name, *sys.argv])
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
