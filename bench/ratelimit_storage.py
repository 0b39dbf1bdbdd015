"""What rate-limit storage costs a request, and what a Redis outage costs.

    .venv/bin/python bench/ratelimit_storage.py [--redis redis://127.0.0.1:6379/0] [--requests 300]

One app on a temporary SQLite database, limits on, a registration form with an
error POSTed ``--requests`` times (each counted by the per-address limit, set
high enough never to refuse). The same run for four storages: memory, Redis,
Redis down (a closed port) and Redis stalled (a socket that accepts and never
answers; RATELIMIT_STORAGE_TIMEOUT=0.5). Per storage: median, 95th percentile
and slowest request, and how many took longer than 250 ms.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(storage_uri: str, requests: int, tmp: Path) -> list[float]:
    from forum import create_app
    from forum.config import TestConfig
    from forum.extensions import db
    from forum.extensions import search

    name = uuid.uuid4().hex[:8]
    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / name}.sqlite",
        "SEARCH_INDEX_DIR": str(tmp / name),
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_REGISTER": "100000 per hour",
        "RATELIMIT_STORAGE_URI": storage_uri,
        "RATELIMIT_STORAGE_PREFIX": f"serambi-bench-{name}",
        "RATELIMIT_STORAGE_TIMEOUT": 0.5,
    }
    app = create_app(type("C", (TestConfig,), config))
    with app.app_context():
        db.create_all()
        search.rebuild([], 0)
    client = app.test_client()
    page = client.get("/auth/register").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.post("/auth/register", data={"csrf_token": token, "username": "x"})
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 400, response.status_code
    with app.app_context():
        db.engine.dispose()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    stalled = socket.socket()
    stalled.bind(("127.0.0.1", 0))
    stalled.listen(64)
    storages = {
        "memory": "memory://",
        "redis": args.redis,
        "redis down (closed port)": f"redis://127.0.0.1:{closed_port()}/0",
        "redis stalled (no answer)": f"redis://127.0.0.1:{stalled.getsockname()[1]}/0",
    }
    print(f"{args.requests} registration POSTs with a form error, one process\n")
    print("| storage | p50 ms | p95 ms | slowest ms | over 250 ms |")
    print("|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for label, uri in storages.items():
            times = run(uri, args.requests, Path(tmp))
            p95 = statistics.quantiles(times, n=20)[-1]
            slow = sum(t > 250 for t in times)
            print(
                f"| {label} | {statistics.median(times):.1f} | {p95:.1f} | "
                f"{max(times):.0f} | {slow} |"
            )
    stalled.close()


if __name__ == "__main__":
    main()
