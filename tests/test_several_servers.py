"""Two app servers on one PostgreSQL and one Redis, as docs/deploy.md sets them up.

Two gunicorn processes, each with its own instance folder, share the database
(``SEARCH_BACKEND=postgresql``), the rate-limit counts (Redis, under a key prefix),
the uploads folder and the secret key. One pair of servers serves every test here:
starting them is the expensive part. Needs TEST_DATABASE_URL and TEST_REDIS_URL;
in CI a missing one fails instead of skipping.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from urllib.parse import urlencode

import pytest

from forum import create_app
from forum.config import TestConfig
from forum.extensions import db
from search_index.postgres_backend import create_schema as create_search_schema
from tests.gunicorn_server import ROOT
from tests.gunicorn_server import get
from tests.gunicorn_server import launch_gunicorn
from tests.gunicorn_server import post
from tests.gunicorn_server import stop
from tests.gunicorn_server import token
from tests.gunicorn_server import wait_until_serving
from tests.helpers import PASSWORD
from tests.helpers import fresh_postgres_database
from tests.helpers import redis_prefix
from tests.helpers import require_postgres
from tests.helpers import require_redis
from tests.smtp import smtp_sink

pytestmark = pytest.mark.slow  # starts two gunicorn servers and two flask commands

FORM = "application/x-www-form-urlencoded"
POSTS_PER_MINUTE = 2


class Cluster:
    """The two servers' ports and settings, and the rows the tests start from."""

    def __init__(self, ports, envs, thread_id, author_email):
        self.ports, self.envs = ports, envs
        self.thread_id, self.author_email = thread_id, author_email


def arrange(database: str) -> tuple[int, str]:
    """The schema, a thread whose author wants the e-mail digest, and a reply for it."""
    from forum.auth.service import create_user
    from forum.engagement.service import save_settings
    from forum.threads.service import create_reply
    from forum.threads.service import create_thread

    app = create_app(
        type(
            "C",
            (TestConfig,),
            {"SQLALCHEMY_DATABASE_URI": database, "SEARCH_BACKEND": "postgresql"},
        )
    )
    with app.app_context():
        db.create_all()
        create_search_schema(db.engine)
        author = create_user("wulan", "wulan@contoh.id", PASSWORD, display_name="Wulan")
        replier = create_user("asep", "asep@contoh.id", PASSWORD, display_name="Asep")
        db.session.flush()
        save_settings(author, {"reply": (True, True)})
        thread = create_thread(author, "practice", "Pojok baca di balai desa", "Setiap Sabtu.", [])
        db.session.flush()
        create_reply(replier, thread, "Kami juga membuka pojok baca.")  # for Wulan's digest
        db.session.commit()
        found = (thread.id, author.email)
        db.session.remove()
        db.engine.dispose()
    return found


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, worker_id):
    require_postgres()
    redis_url = require_redis()
    shared = tmp_path_factory.mktemp("shared")  # the uploads volume every server mounts
    name = f"serambi_servers_{worker_id}_{os.getpid()}"
    with fresh_postgres_database(name) as database, redis_prefix(redis_url) as prefix:
        thread_id, author_email = arrange(database)
        servers, ports, envs = [], [], []
        try:
            for n in (1, 2):
                instance = tmp_path_factory.mktemp(f"server{n}")
                env = {
                    "SERAMBI_INSTANCE_DIR": str(instance),
                    "DATABASE_URL": database,
                    "SEARCH_BACKEND": "postgresql",
                    "SECRET_KEY": "one-key-for-every-server",
                    "UPLOADS_DIR": str(shared / "uploads"),
                    "COMPILATIONS_DIR": str(shared / "compilations"),
                    "RATELIMIT_ENABLED": "true",
                    "RATELIMIT_STORAGE_URI": redis_url,
                    "RATELIMIT_STORAGE_PREFIX": prefix,
                    "RATELIMIT_POSTING": f"{POSTS_PER_MINUTE} per minute",
                }
                # Threads, and a worker timeout for a loaded CI machine (not the helper's 2 s).
                workers = ["--worker-class", "gthread", "--threads", "2", "--timeout", "60"]
                server, port = launch_gunicorn(instance, database, workers, env)
                servers.append(server)
                ports.append(port)
                envs.append({**os.environ, **env})
            for server, port in zip(servers, ports, strict=True):
                wait_until_serving(server, port)
            yield Cluster(ports, envs, thread_id, author_email)
        finally:
            for server in servers:
                stop(server)


def cookie_of(reply: bytes, cookie: str) -> str:
    found = re.search(rb"Set-Cookie: (session=[^;]+)", reply)
    return found.group(1).decode() if found else cookie


def status(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


def send(port: int, path: str, cookie: str, page: str, fields: dict) -> tuple[bytes, str]:
    """Post a form as a browser does: the token from ``page``, then the form."""
    shown = get(port, page, cookie)
    cookie = cookie_of(shown, cookie)
    reply = post(
        port, path, cookie, urlencode({"csrf_token": token(shown), **fields}).encode(), FORM
    )
    return reply, cookie_of(reply, cookie)


@pytest.fixture(scope="module")
def asep(cluster) -> str:
    """Asep's session cookie, logged in through the first server."""
    login = {"username": "asep", "password": PASSWORD}
    reply, cookie = send(cluster.ports[0], "/auth/login", "", "/auth/login", login)
    assert status(reply) == 302, reply[:300]
    return cookie


def reply_through(cluster, port: int, cookie: str, body: str) -> bytes:
    path = f"/threads/{cluster.thread_id}"
    reply, _cookie = send(port, f"{path}/replies", cookie, path, {"body": body})
    return reply


def test_a_reply_posted_through_one_server_is_found_through_the_other(cluster, asep):
    first, second = cluster.ports
    posted = reply_through(cluster, first, asep, "Kami memainkan angklung bersama anak-anak.")
    assert status(posted) == 302, posted[:300]
    post_id = re.search(rb"Location: \S*#post-(\d+)", posted).group(1).decode()

    deadline = time.monotonic() + 30  # a guard, not a speed check: found at once when right
    while True:
        page = get(second, "/search?q=angklung", asep)
        if f"#post-{post_id}".encode() in page or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert f"#post-{post_id}".encode() in page, page[-2000:]


def test_a_member_limited_on_one_server_is_limited_on_the_other(cluster, asep):
    first, second = cluster.ports
    statuses = [
        status(reply_through(cluster, port, asep, f"Catatan kegiatan nomor {n}."))
        for n, port in enumerate([first] * POSTS_PER_MINUTE + [second])
    ]
    # The earlier test's reply counted too: the allowance is per member, whichever server.
    assert statuses[-1] == 429
    assert 429 not in statuses[: POSTS_PER_MINUTE - 1]


def test_the_digest_run_on_both_servers_at_once_sends_once(cluster, asep):
    with smtp_sink(hold_until=2) as sink:  # DATA waits until both runs reached the server
        mail = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(sink.server_address[1])}
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "flask", "notifications", "send-digest"],
                cwd=ROOT,
                env={**env, **mail},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for env in cluster.envs
        ]
        outputs = [run.communicate(timeout=120)[0] for run in runs]
        recipients = [rcpts for _sender, rcpts, _message in sink.messages]
    assert all(run.returncode == 0 for run in runs), outputs
    assert recipients == [[cluster.author_email]], outputs
    assert sorted("sent by another run" in output for output in outputs) == [False, True]
