"""bench/load.py in its short mode: 30 members against gunicorn, no 5xx, no lost post.

Real processes on 127.0.0.1 (gunicorn with 2 workers), about 20 s of traffic
per backend. In CI PostgreSQL is required, as for every other database test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import IN_CI

pytestmark = pytest.mark.slow  # real processes: bench/load.py against gunicorn

ROOT = Path(__file__).resolve().parent.parent


def _database(backend: str) -> list[str]:
    if backend == "sqlite":
        return []
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if IN_CI:
            pytest.fail("CI must run the PostgreSQL load test: TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL not configured: set TEST_DATABASE_URL=postgresql://... to run")
    return ["--database", url]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_short_load_serves_without_errors_and_loses_no_post(backend):
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load.py"), "--short", *_database(backend)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    served = int(re.search(r"requests served: (\d+)", output).group(1))
    errors = int(re.search(r"5xx: (\d+)", output).group(1))
    acked, in_db, in_index = map(
        int,
        re.search(
            r"acknowledged posts: (\d+); in the database: (\d+); in the search index: (\d+)",
            output,
        ).groups(),
    )
    assert served > 100 and errors == 0, output
    assert acked > 0 and acked == in_db == in_index, output
