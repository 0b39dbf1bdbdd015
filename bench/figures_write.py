"""What keeping the dashboard's stored figures costs a reply, on a busy meeting day.

    .venv/bin/python bench/figures_write.py                       # 20,000 posts, 2,000 today
    .venv/bin/python bench/figures_write.py --posts 100000 --today 2000 --replies 200

Builds a scratch SQLite database with bench/dashboard.py's generator (two years of
history), adds ``--today`` replies posted today (a peer-learning meeting's day:
every write of the day lands on the same local day), counts the stored figures,
then posts ``--replies`` replies through the forum's own service
(``threads.service.create_reply`` and a commit), half of them with the stored
figures kept up to date by the session hook (forum/insight/aggregates.py) and half
with the hook removed: the baseline is the same reply without stored figures. They
alternate in blocks of ten, so a machine getting busier weighs on both. Prints
median and p95 milliseconds, their ratio, and SQL statements per reply (that the
figures stay true is what tests/test_dashboard_aggregates.py checks).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dashboard import generate  # noqa: E402
from dashboard import scratch_app  # noqa: E402

from forum.extensions import db  # noqa: E402
from forum.insight import aggregates  # noqa: E402
from forum.models import Post  # noqa: E402
from forum.models import Thread  # noqa: E402
from forum.models import User  # noqa: E402
from forum.search.reindex import rebuild_index  # noqa: E402
from forum.threads import service  # noqa: E402


def _meeting_day(conn, replies: int, rng: random.Random) -> None:
    """``replies`` public replies posted over today's last hours by librarians."""
    now = datetime.now(UTC).replace(microsecond=0)
    threads = list(conn.scalars(sa.select(Thread.id).where(Thread.hidden.is_(False))))
    members = list(conn.scalars(sa.select(User.id).where(User.library_id.is_not(None))))
    first = conn.scalar(sa.select(sa.func.max(Post.id))) + 1
    rows = [
        dict(
            id=first + n,
            thread_id=rng.choice(threads),
            author_id=rng.choice(members),
            body="Kami mencoba kegiatan ini di perpustakaan desa.",
            is_opening=False,
            created_at=now - timedelta(seconds=rng.uniform(60, 6 * 3600)),
            hidden=False,
            withdrawn_at=None,
        )
        for n in range(replies)
    ]
    for start in range(0, len(rows), 5000):
        conn.execute(sa.insert(Post.__table__), rows[start : start + 5000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--today", type=int, default=2_000, help="replies already posted today")
    parser.add_argument("--replies", type=int, default=200, help="replies timed (half each way)")
    args = parser.parse_args()

    rng = random.Random(11)
    statements: list[str] = []
    with scratch_app() as app:
        with app.app_context():
            db.create_all()
            with db.engine.begin() as conn:
                counts = generate(conn, args.posts)
                _meeting_day(conn, args.today, rng)
            with db.engine.begin() as conn:
                aggregates.rebuild(conn)
            rebuild_index(procs=2)  # built now, not by the first reply's drain while timed
            threads = list(db.session.scalars(sa.select(Thread.id).where(~Thread.hidden)))
            members = list(
                db.session.scalars(sa.select(User.id).where(User.library_id.is_not(None)))
            )
            print(
                f"code: {Path(aggregates.__file__).parent.parent.parent}\n"
                f"{counts['posts']:,} posts in {counts['threads']:,} threads, "
                f"{args.today:,} of them replies posted today; {args.replies} replies timed"
            )
            sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
            timings: dict[str, list[float]] = {"with stored figures": [], "without": []}
            per_reply: dict[str, list[int]] = {name: [] for name in timings}
            for block in range(args.replies // 10):
                kept = block % 2 == 0
                name = "with stored figures" if kept else "without"
                if not kept:
                    sa.event.remove(db.session, "after_flush", aggregates._after_flush)
                for _ in range(10):
                    author = db.session.get(User, rng.choice(members))
                    thread = db.session.get(Thread, rng.choice(threads))
                    statements.clear()
                    began = time.perf_counter()
                    service.create_reply(author, thread, "Kami juga mencoba, terima kasih.")
                    db.session.commit()
                    timings[name].append((time.perf_counter() - began) * 1000)
                    per_reply[name].append(len(statements))
                    db.session.expire_all()
                aggregates.install_hooks()
            base = statistics.median(timings["without"])
            base_p95 = statistics.quantiles(timings["without"], n=20)[-1]
            print(
                f"\n{'a reply and its commit':24} {'median ms':>10} {'p95 ms':>8} "
                f"{'/ without':>10} {'p95 /':>6} {'statements':>11}"
            )
            for name, values in timings.items():
                median, p95 = statistics.median(values), statistics.quantiles(values, n=20)[-1]
                print(
                    f"{name:24} {median:10.1f} {p95:8.1f} {median / base:9.2f}x "
                    f"{p95 / base_p95:5.2f}x {statistics.median(per_reply[name]):11.0f}"
                )


if __name__ == "__main__":
    main()
