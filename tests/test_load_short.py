"""bench/load.py's members against gunicorn for 20 s: no 5xx, and no acknowledged post lost.

Real processes on 127.0.0.1 (gunicorn with 2 workers), 30 members browsing and posting,
per backend. In CI PostgreSQL is required, as for every other database test.

What must hold is asserted, never a rate: on a loaded machine fewer requests are
served, but none may fail with a 5xx, and every post answered with its redirect must be
in the database and, once the outbox has drained, in the search index. The members
read a few dozen generated threads besides the demo's (first views write read positions).
"""

from __future__ import annotations

import gc
import os
import time
import warnings

import pytest

from bench import load
from tests.helpers import IN_CI

pytestmark = pytest.mark.slow  # real processes: gunicorn, the flask CLI

MEMBERS = 30
SECONDS = 20.0
START_CAP = 120  # seconds for gunicorn to answer /healthz
DRAIN_CAP = 180  # seconds for the outbox to reach the index: generous for a loaded machine


def _database(backend: str) -> str | None:
    if backend == "sqlite":
        return None
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if IN_CI:
            pytest.fail("CI must run the PostgreSQL load test: TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL not configured: set TEST_DATABASE_URL=postgresql://... to run")
    return url


def _start(instance: load.Instance, log) -> None:
    """bench/load.py's Instance.start, with a generous cap and a log file that gets closed."""
    instance.server = load.gunicorn(
        "app:app", instance.port, instance.workers, env=instance.env, cwd=load.ROOT, stderr=log
    )
    deadline = time.monotonic() + START_CAP
    while instance.health() is None:
        assert instance.server.poll() is None, "gunicorn exited at start"
        assert time.monotonic() < deadline, f"gunicorn did not answer within {START_CAP} s"
        time.sleep(0.2)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_short_load_serves_without_errors_and_loses_no_post(backend, tmp_path):
    instance = load.Instance(_database(backend), tmp_path, workers=2)
    try:
        with open(tmp_path / "gunicorn.log", "w") as log:
            try:
                instance.prepare(MEMBERS)
                _start(instance, log)
                with warnings.catch_warnings():
                    # bench/load.py's members leave a kept-alive connection to the garbage
                    # collector when their time is up; that is the bench's, not the app's.
                    warnings.simplefilter("ignore", ResourceWarning)
                    stats = load.drive(
                        instance.port, MEMBERS, SECONDS, seed=8, everyone=instance.thread_ids
                    )
                    gc.collect()
                instance.wait_for_index(DRAIN_CAP)
                backlog = (instance.health() or {}).get("outbox_backlog")
            finally:
                instance.stop()
        check = instance.verify(stats.acknowledged)
    finally:
        instance.drop()
    log = (tmp_path / "gunicorn.log").read_text()[-3000:]
    summary = load.report(stats, check, backend, SECONDS, MEMBERS, None)
    print(summary)

    assert stats.server_errors == [], f"{summary}\n{log}"
    assert stats.acknowledged, f"no post was acknowledged at all\n{summary}\n{log}"
    assert check["missing_from_db"] == [] and check["in_db"] == len(stats.acknowledged), summary
    assert backlog == 0, f"the outbox still held {backlog} after {DRAIN_CAP} s\n{summary}"
    assert check["in_index"] == len(stats.acknowledged), summary
