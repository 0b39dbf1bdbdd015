"""How long "similar threads" takes, as a ratio to a plain search on the same index.

    .venv/bin/python bench/similar.py --posts 100000 [--workdir DIR]

Builds the engine's index over the generated corpus (bench/corpus.py; an index
already in ``--workdir/whoosh`` with the same post count is reused), then, for
the same sample of threads, times:

- similar: ``engine.similar(title + body, exclude_thread=id)`` as the thread page
  and the new-thread preview call it (Whoosh more-like-this key terms);
- search: ``engine.search(title)``, a plain search for the thread's title.

Prints medians and p95 of each and the ratio of the medians. Also reports how
often a thread's own topic dominates its suggestions (a sanity check that the
suggestions are related, not only fast).

Since issue 15 a thread page no longer makes the lookup: the lists are stored
(``similar_threads``) when a thread is written and by ``flask search similar
--refresh``. The bench also times that job's work on the same sample (lookup
by thread id and the table write, in a SQLite file: threads per second, so the
time for every thread) and the stored read a thread page makes instead (the
table's rows for one thread, by primary key).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from corpus import generate

from search_index import SearchEngine
from search_index.similar_store import SIMILAR_LIMIT
from search_index.similar_store import define_similar_table
from search_index.similar_store import refresh


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000, result


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--procs", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="serambi-similar-"))
    workdir.mkdir(parents=True, exist_ok=True)
    pairs = list(generate(args.posts, args.seed))
    openings = [(doc, label) for doc, label in pairs if doc.is_opening]
    topic_of = {label.thread_id: label.topic for _, label in pairs}
    print(f"corpus: {len(pairs)} posts, {len(openings)} threads, workdir {workdir}", flush=True)

    index_dir = workdir / "whoosh"
    engine = SearchEngine(index_dir, background=False)
    if engine.status().get("documents") != len(pairs):
        start = time.perf_counter()
        engine.rebuild(iter(doc for doc, _ in pairs), total=len(pairs), procs=args.procs)
        print(f"index built in {time.perf_counter() - start:.0f} s", flush=True)

    rng = random.Random(args.seed)
    sample = rng.sample(openings, min(args.samples, len(openings)))
    engine.similar("pemanasan", exclude_thread=0)  # open the searcher once, as a server has
    engine.search("pemanasan")
    similar_ms, search_ms, same_topic = [], [], []
    for doc, label in sample:
        ms, hits = timed(
            lambda doc=doc: engine.similar(f"{doc.title} {doc.body}", exclude_thread=doc.thread_id)
        )
        similar_ms.append(ms)
        if hits:
            same_topic.append(
                sum(topic_of[hit.thread_id] == label.topic for hit in hits) / len(hits)
            )
        ms, _ = timed(lambda doc=doc: engine.search(doc.title))
        search_ms.append(ms)

    db = sa.create_engine(f"sqlite:///{workdir / 'similar.sqlite'}")
    table = define_similar_table(sa.MetaData())
    table.drop(db, checkfirst=True)
    table.create(db)
    ids = [doc.thread_id for doc, _ in sample]
    start = time.perf_counter()
    refresh(lambda t: [hit.thread_id for hit in engine.similar(t, limit=SIMILAR_LIMIT)], db, ids)
    job_s = time.perf_counter() - start
    read_ms = []
    with db.connect() as connection:
        for thread_id in ids:
            ms, _ = timed(
                lambda t=thread_id: connection.execute(
                    sa.select(table.c.similar_id)
                    .where(table.c.thread_id == t)
                    .order_by(table.c.rank)
                ).all()
            )
            read_ms.append(ms)

    sim, plain = statistics.median(similar_ms), statistics.median(search_ms)
    print(f"\n{len(sample)} threads, {args.posts} posts")
    print(f"similar threads  median {sim:6.1f} ms  p95 {percentile(similar_ms, 95):6.1f} ms")
    print(f"plain search     median {plain:6.1f} ms  p95 {percentile(search_ms, 95):6.1f} ms")
    print(f"ratio similar / search (medians): {sim / plain:.2f}")
    print(f"suggestions sharing the thread's topic: {statistics.mean(same_topic):.0%}")
    rate = len(ids) / job_s
    print(
        f"refresh job: {rate:.1f} threads/s (lookup by id + table write), "
        f"every thread ({len(openings)}) in {len(openings) / rate / 60:.1f} min on one core"
    )
    print(
        f"stored read, as the thread page makes it: median {statistics.median(read_ms):.2f} ms"
        f"  p95 {percentile(read_ms, 95):.2f} ms"
    )
    print(f"command: {Path(sys.executable).name} {' '.join(sys.argv)}")
    engine.close()


if __name__ == "__main__":
    main()
