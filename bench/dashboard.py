"""Benchmark the programme dashboard on a generated forum of 100,000 posts.

    .venv/bin/python bench/dashboard.py --posts 100000 --runs 9
    .venv/bin/python bench/dashboard.py --posts 100000 --runs 9 --code /tmp/serambi-main

Builds a scratch SQLite database with SQLAlchemy Core bulk inserts (libraries,
members, threads spread over two years, replies, tags, meetings), counts the
dashboard's stored figures from it (as the migration does for an existing
forum; the bulk inserts bypass the writes that keep them), then times
``GET /dashboard`` with Flask's test client as a logged-in facilitator, next to
a bare Flask page measured in the same run, and prints the medians, p95 and
their ratios. The charts, the report and the exports are timed too, for
reference, and the XLSX export's peak Python memory (tracemalloc).
``--code DIR`` runs another checkout's code (``git archive main | tar -x -C DIR``)
with this script: the "before" of a before/after. ``--keep DIR`` leaves the
database there (to look at it with ``flask run``). bench/RESULTS.md holds the
latest figures.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

# The code under test: this checkout, or another one given with --code (read before imports).
_code = sys.argv[sys.argv.index("--code") + 1] if "--code" in sys.argv else None
sys.path.insert(0, str(Path(_code).resolve() if _code else Path(__file__).resolve().parent.parent))

from forum import create_app  # noqa: E402
from forum.config import TestConfig  # noqa: E402
from forum.extensions import db  # noqa: E402
from forum.insight.models import Meeting  # noqa: E402
from forum.insight.models import MeetingThread  # noqa: E402
from forum.models import FacilitatorScope  # noqa: E402
from forum.models import Library  # noqa: E402
from forum.models import Post  # noqa: E402
from forum.models import Tag  # noqa: E402
from forum.models import Thread  # noqa: E402
from forum.models import User  # noqa: E402
from forum.models import thread_tags  # noqa: E402
from forum.regions import regions  # noqa: E402

TAGS = (
    "literasi-anak pojok-baca dana-desa slims katalog relawan dongeng umkm pertanian "
    "digital ipusnas donasi-buku kegiatan minat-baca pelatihan posyandu lansia tpbis "
    "inklusi-sosial perpustakaan-keliling"
).split()
DAYS = 730  # two years of history, up to today
BATCH = 5_000


def _insert(conn, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        conn.execute(sa.insert(table), rows[start : start + BATCH])


def generate(conn, posts: int, seed: int = 7) -> dict:
    """Fill an empty schema with about ``posts`` posts (openings and replies); Core only."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=DAYS)
    regency_pool = rng.sample(sorted(regions().regencies.values(), key=lambda r: r.slug), 60)

    libraries = []
    for n in range(1, 401):
        regency = rng.choice(regency_pool)
        libraries.append(
            dict(
                id=n,
                name=f"Perpustakaan Desa {n}",
                village=f"Desa {n}",
                district="Kecamatan",
                regency=regency.slug,
                province=regency.province.slug,
                created_at=start,
            )
        )
    _insert(conn, Library.__table__, libraries)

    users = []
    for n in range(1, 3_001):
        role = "facilitator" if n <= 10 else "librarian"
        users.append(
            dict(
                id=n,
                username=f"anggota{n}",
                display_name=f"Anggota {n}",
                email=f"anggota{n}@contoh.id",
                password_hash="x",
                role=role,
                library_id=None if role != "librarian" else rng.randint(1, len(libraries)),
                timezone="Asia/Jakarta",
                session_token=f"{n:032d}",
                created_at=start + timedelta(days=rng.uniform(0, DAYS)),
                suspended_indefinitely=False,
            )
        )
    _insert(conn, User.__table__, users)
    # The facilitators look after all of Indonesia (without a scope they see no figures).
    _insert(
        conn,
        FacilitatorScope.__table__,
        [dict(user_id=u["id"], region="nasional") for u in users if u["role"] == "facilitator"],
    )
    library_of = {u["id"]: u["library_id"] for u in users}
    by_id = {lib["id"]: lib for lib in libraries}

    _insert(conn, Tag.__table__, [dict(id=n, name=name) for n, name in enumerate(TAGS, 1)])

    thread_count = max(1, posts // 5)
    threads, post_rows, links, answers = [], [], [], []
    post_id = 0
    for thread_id in range(1, thread_count + 1):
        author = rng.randint(11, len(users))
        created = start + timedelta(seconds=rng.uniform(0, DAYS * 86400))
        library = by_id[library_of[author]]
        kind = "challenge" if rng.random() < 0.45 else "practice"
        threads.append(
            dict(
                id=thread_id,
                kind=kind,
                title=f"Utas nomor {thread_id}",
                author_id=author,
                library_id=library["id"],
                regency=library["regency"],
                province=library["province"],
                created_at=created,
                last_activity_at=created,
                pinned=False,
                locked=False,
                hidden=rng.random() < 0.02,
                withdrawn_at=None,
            )
        )
        post_id += 1
        post_rows.append(_post(post_id, thread_id, author, created, True))
        for tag in rng.sample(range(1, len(TAGS) + 1), rng.randint(0, 3)):
            links.append(dict(thread_id=thread_id, tag_id=tag))
    # Replies: spread over the threads, each some hours or days after its thread.
    for _ in range(posts - thread_count):
        thread = threads[rng.randrange(thread_count)]
        post_id += 1
        when = thread["created_at"] + timedelta(hours=rng.expovariate(1 / 30))
        post_rows.append(
            _post(post_id, thread["id"], rng.randint(1, len(users)), min(when, now), False)
        )
        if thread["kind"] == "challenge" and rng.random() < 0.25:
            answers.append((thread["id"], post_id, when + timedelta(hours=rng.uniform(1, 72))))
    _insert(conn, Thread.__table__, threads)
    _insert(conn, Post.__table__, post_rows)
    _insert(conn, thread_tags, links)
    solved = {}
    for thread_id, answer_id, solved_at in answers:
        solved.setdefault(thread_id, (answer_id, solved_at))
    conn.execute(
        sa.update(Thread.__table__)
        .where(Thread.__table__.c.id == sa.bindparam("tid"))
        .values(accepted_post_id=sa.bindparam("pid"), solved_at=sa.bindparam("at")),
        [{"tid": t, "pid": p, "at": min(at, now)} for t, (p, at) in solved.items()],
    )

    meetings, meeting_links = [], []
    for n in range(1, 121):
        regency = rng.choice(regency_pool)
        day = (start + timedelta(days=rng.uniform(0, DAYS + 60))).date()
        meetings.append(
            dict(
                id=n,
                title=f"Temu pustakawan {n}",
                kind=rng.choice(["peer_learning", "stakeholder"]),
                starts_on=day,
                ends_on=day + timedelta(days=rng.choice([0, 0, 1])),
                place="Balai desa",
                regency=regency.slug,
                province=regency.province.slug,
                participants=rng.randint(8, 80),
                speakers="",
                summary="",
                created_by_id=1,
                created_at=now,
            )
        )
        for thread_id in rng.sample(range(1, thread_count + 1), 3):
            meeting_links.append(
                dict(
                    meeting_id=n,
                    thread_id=thread_id,
                    relation="discussed",
                    linked_by_id=1,
                    linked_at=now,
                )
            )
    _insert(conn, Meeting.__table__, meetings)
    _insert(conn, MeetingThread.__table__, meeting_links)
    return {"threads": thread_count, "posts": post_id, "solved": len(solved)}


def _rebuild_figures() -> float | None:
    """Count the stored figures as the migration does; None when the code has none."""
    try:
        from forum.insight.aggregates import rebuild
    except ImportError:  # a baseline from before the stored figures
        return None
    began = time.perf_counter()
    with db.engine.begin() as conn:
        rebuild(conn)
    return time.perf_counter() - began


def _post(post_id, thread_id, author, created, opening) -> dict:
    return dict(
        id=post_id,
        thread_id=thread_id,
        author_id=author,
        body="Kami mencoba kegiatan ini di perpustakaan desa.",
        is_opening=opening,
        created_at=created,
        hidden=False,
        withdrawn_at=None,
    )


def timed_ms(client, path: str, runs: int) -> tuple[float, float]:
    """Median and p95 wall time of ``runs`` GETs (after one warm-up), in milliseconds."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    response.close()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(path)
        response.get_data()
        times.append((time.perf_counter() - began) * 1000)
        response.close()
        assert response.status_code == 200
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def peak_memory_mb(client, path: str) -> float:
    """Peak Python memory (tracemalloc) while one GET of ``path`` is answered and read."""
    tracemalloc.start()
    try:
        response = client.get(path)
        for _chunk in response.response:  # as a server would send it, chunk by chunk
            pass
        response.close()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


@contextmanager
def scratch_app(keep: str | None = None) -> Iterator[Flask]:
    """The app on a new SQLite database and search index in a scratch directory (or in
    ``keep``, left there afterwards)."""
    workdir = Path(keep or tempfile.mkdtemp(prefix="serambi-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "serambi.sqlite").unlink(missing_ok=True)
    config = type(
        "BenchConfig",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'serambi.sqlite'}",
            "SEARCH_INDEX_DIR": str(workdir / "search_index"),
        },
    )
    app = create_app(config)
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--keep", metavar="DIR", help="build the database in DIR and keep it")
    parser.add_argument("--code", metavar="DIR", help="run another checkout's code (a baseline)")
    parser.add_argument(
        "--quick", action="store_true", help="only the dashboard pages (no report, charts, exports)"
    )
    args = parser.parse_args()

    with scratch_app(args.keep) as app:
        with app.app_context():
            db.create_all()
            began = time.perf_counter()
            with db.engine.begin() as conn:
                counts = generate(conn, args.posts)
            built = time.perf_counter() - began
            recounted = _rebuild_figures()
            facilitator = db.session.get(User, 1)
            session_id = facilitator.get_id()
        print(
            f"code: {Path(sys.modules['forum'].__file__).parent.parent}\n"
            f"generated {counts['posts']:,} posts in {counts['threads']:,} threads "
            f"({counts['solved']:,} solved) in {built:.1f} s"
            + (f"; stored figures counted in {recounted:.1f} s" if recounted is not None else "")
        )

        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True

        bare = Flask("bare")
        bare.add_url_rule("/", "page", lambda: "<p>ok</p>")
        baseline, baseline_p95 = timed_ms(bare.test_client(), "/", args.runs)

        today = date.today()
        period = f"from={(today - timedelta(days=364)).isoformat()}&to={today.isoformat()}"
        timings = {
            "dashboard": timed_ms(client, "/dashboard", args.runs),
            "dashboard, one province": timed_ms(
                client, f"/dashboard?{period}&region=provinsi-jawa-barat", args.runs
            ),
        }
        if args.quick:
            _print(args, baseline, baseline_p95, timings)
            return
        timings["report"] = timed_ms(client, "/dashboard/report", args.runs)
        for name in ("weekly", "kinds", "solved", "tags"):
            timings[f"chart {name}"] = timed_ms(client, f"/dashboard/charts/{name}.svg", args.runs)
        runs = max(3, args.runs // 3)
        timings["export.csv threads"] = timed_ms(
            client, "/dashboard/export.csv?table=threads", runs
        )
        timings["export.xlsx"] = timed_ms(client, "/dashboard/export.xlsx", runs)

        _print(args, baseline, baseline_p95, timings, runs)
        xlsx_peak = peak_memory_mb(client, "/dashboard/export.xlsx")
        print(f"{'export.xlsx peak Python memory':32} {xlsx_peak:9.1f} MB")


def _print(args, baseline, baseline_p95, timings, runs=0) -> None:
    print(f"\n{args.runs} runs (exports: {runs}), SQLite {sqlite3.sqlite_version}")
    print(f"{'':32} {'median':>9}    {'p95':>9}    {'median/bare':>11}  {'p95/bare':>8}")
    print(f"{'bare Flask page (baseline)':32} {baseline:9.2f} ms {baseline_p95:9.2f} ms")
    for name, (median, p95) in timings.items():
        print(
            f"{name:32} {median:9.1f} ms {p95:9.1f} ms {median / baseline:10.0f}x "
            f"{p95 / baseline_p95:8.0f}x"
        )


if __name__ == "__main__":
    main()
