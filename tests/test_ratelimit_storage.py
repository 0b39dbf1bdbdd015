"""Rate limits in shared storage: Redis as the README documents it, and no outage of
Redis takes the forum down.

The shared-storage tests need the machine's Redis (TEST_REDIS_URL); in CI a
missing Redis fails instead of skipping, as PostgreSQL does in conftest.py.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from forum import create_app
from forum.config import TestConfig
from forum.extensions import db
from tests.helpers import csrf_token
from tests.helpers import redis_prefix
from tests.helpers import require_redis

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def redis_url() -> str:
    return require_redis()


@pytest.fixture
def prefix(redis_url):
    """A key prefix of this test's own; its keys are removed afterwards."""
    with redis_prefix(redis_url) as name:
        yield name


def limited_settings(sqlite_app, **overrides) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": sqlite_app.config["SQLALCHEMY_DATABASE_URI"],
        "SEARCH_INDEX_DIR": sqlite_app.config["SEARCH_INDEX_DIR"],
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_REGISTER": "3 per hour",
        **overrides,
    }


@pytest.fixture
def make_limited(sqlite_app):
    made = []

    def make(**overrides):
        config = type("C", (TestConfig,), limited_settings(sqlite_app, **overrides))
        made.append(create_app(config))
        return made[-1]

    yield make
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def try_to_register(client):
    """A registration with a form error: it still counts against the limit."""
    token = csrf_token(client, "/auth/register")
    return client.post("/auth/register", data={"csrf_token": token, "username": "x"})


# Another worker: its own process, the same settings, two registrations.
OTHER_WORKER = """
import json, os
from forum import create_app
from forum.config import TestConfig
from tests.helpers import csrf_token
settings = json.loads(os.environ["SETTINGS"])
app = create_app(type("C", (TestConfig,), settings))
client = app.test_client()
statuses = []
for _ in range(2):
    token = csrf_token(client, "/auth/register")
    reply = client.post("/auth/register", data={"csrf_token": token, "username": "x"})
    statuses.append(reply.status_code)
print(json.dumps(statuses))
"""


@pytest.mark.slow  # starts another Python process
def test_workers_share_counts_through_redis(sqlite_app, make_limited, redis_url, prefix):
    settings = limited_settings(
        sqlite_app, RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_STORAGE_PREFIX=prefix
    )
    env = {**os.environ, "SETTINGS": json.dumps(settings), "PYTHONPATH": str(ROOT)}
    other = subprocess.run(
        [sys.executable, "-c", OTHER_WORKER], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert other.returncode == 0, other.stderr[-2000:]
    assert json.loads(other.stdout.strip().splitlines()[-1]) == [400, 400]

    this_worker = make_limited(RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_STORAGE_PREFIX=prefix)
    client = this_worker.test_client()
    assert try_to_register(client).status_code == 400  # the third of three
    refused = try_to_register(client)
    assert refused.status_code == 429

    import redis

    stored = redis.Redis.from_url(redis_url)
    assert list(stored.scan_iter(f"{prefix}:*")), "counts are kept under the key prefix"
    stored.close()


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_with_hang_guard(work):
    """Run ``work`` in a thread; a request stuck on Redis would never return."""
    result = {}

    def target():
        result["value"] = work()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(60)  # a guard against hanging forever, not a speed check
    assert not thread.is_alive(), "the request waited on Redis without end"
    return result["value"]


def test_redis_down_the_forum_answers_and_still_limits(make_limited):
    served = make_limited(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{unused_port()}/0")
    client = served.test_client()
    assert client.get("/").status_code == 200
    # Each worker counts on its own while Redis is away.
    assert [try_to_register(client).status_code for _ in range(4)] == [400, 400, 400, 429]


def test_a_stalled_redis_does_not_stall_requests(make_limited):
    with socket.socket() as stalled:  # accepts connections, never answers
        stalled.bind(("127.0.0.1", 0))
        stalled.listen(16)
        port = stalled.getsockname()[1]
        served = make_limited(
            RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}/0", RATELIMIT_STORAGE_TIMEOUT=0.2
        )
        client = served.test_client()
        statuses = run_with_hang_guard(
            lambda: [try_to_register(client).status_code for _ in range(4)]
        )
    assert statuses == [400, 400, 400, 429]


def test_the_redis_client_gets_short_timeouts_and_the_prefix(make_limited):
    from forum.extensions import limiter

    make_limited(
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0",
        RATELIMIT_STORAGE_PREFIX="perpus-a",
        RATELIMIT_STORAGE_TIMEOUT=0.3,
    )
    storage = limiter.storage
    connection = storage.storage.connection_pool.connection_kwargs
    assert (connection["socket_timeout"], connection["socket_connect_timeout"]) == (0.3, 0.3)
    assert storage.key_prefix == "perpus-a"
