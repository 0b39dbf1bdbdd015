"""What background jobs cost: a write that queues one, a claim, an idle poll, two workers.

On a scratch SQLite database (and PostgreSQL with ``--postgres URL``, an empty
database this script creates its tables in and drops them from) it measures,
with a no-op job kind registered here:

- a small write transaction (a draft saved) alone, and the same transaction also
  queueing a job (``enqueue``): the ratio is what a cause pays for its job;
- one job's claim + finish (``queue.claim`` then ``queue.finish``);
- an idle poll (a claim when nothing is due: one read, no write lock);
- 400 jobs drained by one worker thread, then by two: the ratio of the wall times.

    .venv/bin/python bench/jobs.py [--runs 300] [--postgres postgresql://postgres@127.0.0.1/bench]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forum import create_app  # noqa: E402
from forum.config import TestConfig  # noqa: E402
from forum.database import writing  # noqa: E402
from forum.extensions import db  # noqa: E402
from forum.jobs import enqueue  # noqa: E402
from forum.jobs import job_kind  # noqa: E402
from forum.jobs import queue  # noqa: E402
from forum.models import Draft  # noqa: E402
from forum.models import User  # noqa: E402

NOTHING = "bench.nothing"


@job_kind(NOTHING)
def nothing(payload: dict) -> None:
    pass


def ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return f"median {statistics.median(values) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms"


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def drain(workers: int, jobs: int) -> float:
    with writing():
        for n in range(jobs):
            enqueue(NOTHING, {"n": n})
        db.session.commit()
    engine = db.engine

    def work(name: str) -> None:
        while (job := queue.claim(engine, name, lease=60)) is not None:
            queue.finish(engine, job, name)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(workers)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def run(url: str, runs: int) -> None:
    app = create_app(type("C", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        db.create_all()
        try:
            with writing():
                user = User(
                    username="bench", display_name="Bench", email="b@contoh.id", password_hash="x"
                )
                db.session.add(user)
                db.session.commit()
                user_id = user.id
            slots = iter(range(10**9))

            def write(with_job: bool) -> None:
                with writing():
                    slot = f"bench-{next(slots)}"
                    db.session.add(Draft(user_id=user_id, slot=slot, data={"body": "x"}))
                    if with_job:
                        enqueue(NOTHING)
                    db.session.commit()

            alone, with_job = [], []
            for _ in range(runs):  # alternate, so load changes hit both alike
                alone += timed(lambda: write(False), 1)
                with_job += timed(lambda: write(True), 1)
            engine = db.engine
            cycle = timed(lambda: queue.finish(engine, queue.claim(engine, "w", 60), "w"), runs)
            idle = timed(lambda: queue.claim(engine, "w", 60), runs)
            one = drain(1, 400)
            two = drain(2, 400)
            print(f"{engine.dialect.name}:")
            print(f"  write alone           {ms(alone)}")
            print(
                f"  write + enqueue       {ms(with_job)}  "
                f"(ratio of medians {statistics.median(with_job) / statistics.median(alone):.2f})"
            )
            print(f"  claim + finish        {ms(cycle)}")
            print(f"  idle poll             {ms(idle)}")
            print(
                f"  400 jobs, 1 worker    {one:.2f} s; 2 workers {two:.2f} s "
                f"(ratio {two / one:.2f})"
            )
        finally:
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--postgres", default=None, help="an empty PostgreSQL database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{folder}/bench.sqlite", args.runs)
    if args.postgres:
        run(args.postgres, args.runs)


if __name__ == "__main__":
    main()
