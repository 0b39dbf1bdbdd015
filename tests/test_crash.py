"""Crashes lose nothing: kill -9 gunicorn workers while a member posts, then check.

Real processes: gunicorn with 2 workers on SQLite, a client posting replies as fast
as they are answered, and this test killing a worker with SIGKILL right after a reply
is acknowledged, 8 times (the master starts a new one). Afterwards every acknowledged
reply (its POST answered with the redirect) is in the database, no request got a 5xx,
``PRAGMA integrity_check`` is ok, ``flask search check`` repairs any drift and a second
run finds none. No rate is asserted: a loaded machine only makes the test slower, up
to generous caps per step.

Also: a damaged or missing index directory is rebuilt from the database, by
``flask search reindex --if-needed`` and by the app itself on first use.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bench import load

pytestmark = pytest.mark.slow  # real processes: gunicorn and the flask CLI

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "kata-sandi-crash"
KILLS = 8
WAIT_CAP = 120  # seconds for one step (a reply, a worker): generous on a loaded machine

SETUP = """
import sys
from forum import create_app
from forum.auth.service import create_user
from forum.extensions import db
from forum.threads.service import create_thread
app = create_app()
with app.app_context():
    user = create_user("penulis_crash", "crash@contoh.id", sys.argv[1], display_name="Penulis")
    thread = create_thread(user, "practice", "Utas uji crash", "Isi utas uji crash.", [])
    db.session.commit()
    print(thread.id)
"""

COUNT = """
import json, sys
import sqlalchemy as sa
from forum import create_app
from forum.extensions import db
from forum.models import Post
app = create_app()
with app.app_context():
    bodies = db.session.scalars(sa.select(Post.body)).all()
print(json.dumps(bodies))
"""


def _env(tmp_path: Path) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serambi.sqlite'}",
        "SEARCH_INDEX_DIR": str(tmp_path / "search_index"),
        "UPLOADS_DIR": str(tmp_path / "uploads"),
        "SECRET_KEY": secrets.token_hex(32),
        "SERAMBI_ENV": "production",
        "SERAMBI_BASE_URL": "http://127.0.0.1",  # required in production
        "SESSION_COOKIE_SECURE": "false",  # plain HTTP on the loopback
        "RATELIMIT_ENABLED": "false",  # one member posting fast is the point here
        "PYTHONPATH": str(ROOT),
    }


def _run(args: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, **kwargs)


def _flask(env: dict, *args: str) -> subprocess.CompletedProcess:
    return _run([str(BIN / "flask"), *args], env, timeout=120)


@pytest.fixture
def instance(tmp_path):
    env = _env(tmp_path)
    assert _flask(env, "db", "upgrade").returncode == 0
    made = _run([sys.executable, "-c", SETUP, PASSWORD], env, timeout=60)
    assert made.returncode == 0, made.stderr
    assert _flask(env, "search", "reindex").returncode == 0
    return env, int(made.stdout.strip().splitlines()[-1]), tmp_path


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def _wait_until(condition, cap: float) -> bool:
    deadline = time.monotonic() + cap
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


class Poster:
    """One member posting replies as fast as the server answers, reconnecting after crashes."""

    def __init__(self, port: int, thread_id: int):
        self.stats = load.Stats()
        self.member = load.Member(port, "penulis_crash", self.stats, random.Random(1))
        self.thread_id = thread_id
        self.stop = threading.Event()

    @property
    def acknowledged(self) -> list[str]:
        return self.stats.acknowledged

    def run(self) -> None:
        logged_in = False
        try:
            while not self.stop.is_set():
                if not logged_in:
                    logged_in = self.member.log_in(PASSWORD)
                    continue
                marker = f"crash{secrets.token_hex(6)}"
                self.member.post(
                    "reply",
                    f"/threads/{self.thread_id}/replies",
                    marker,
                    {"body": f"Balasan {marker} saat pekerja dimatikan."},
                )
        finally:
            self.member.conn.close()


def test_killed_workers_lose_no_acknowledged_post(instance):
    env, thread_id, tmp_path = instance
    port = load.free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "app:app"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    poster = Poster(port, thread_id)
    client = threading.Thread(target=poster.run, daemon=True)
    rng = random.Random(KILLS)
    kills = 0
    try:
        assert _wait_until(lambda: len(_workers(server.pid)) == 2, WAIT_CAP), "no workers"
        client.start()
        # Each round: a reply is acknowledged, then a worker dies, mostly in the middle of
        # the next reply. The last round's acknowledgement shows the server came back.
        for round_ in range(KILLS + 1):
            seen = len(poster.acknowledged)
            assert _wait_until(lambda s=seen: len(poster.acknowledged) > s, WAIT_CAP), (
                f"no reply acknowledged within {WAIT_CAP} s after {kills} kills",
                poster.stats.failures[-5:],
                poster.stats.server_errors,
            )
            if round_ == KILLS:
                break
            time.sleep(rng.uniform(0, 0.1))
            assert _wait_until(lambda: _workers(server.pid), WAIT_CAP), "no worker came back"
            workers = _workers(server.pid)
            try:
                os.kill(workers[kills % len(workers)], signal.SIGKILL)
            except ProcessLookupError:  # it was already gone; the next round kills another
                continue
            kills += 1
    finally:
        poster.stop.set()
        client.join(60)
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    print(
        f"crash: {kills} workers killed, {len(poster.acknowledged)} replies acknowledged, "
        f"{len(poster.stats.failures)} requests cut off"
    )
    assert not client.is_alive()
    assert poster.stats.server_errors == []

    stored = _run([sys.executable, "-c", COUNT], env, timeout=120)
    assert stored.returncode == 0, stored.stderr
    bodies = "\n".join(json.loads(stored.stdout))
    assert [m for m in poster.acknowledged if m not in bodies] == []

    with sqlite3.connect(tmp_path / "serambi.sqlite") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    first = _flask(env, "search", "check")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "No drift." in first.stdout or "Repaired." in first.stdout
    second = _flask(env, "search", "check")
    assert second.returncode == 0 and "No drift." in second.stdout, second.stdout


@pytest.mark.parametrize("damage", ["missing", "garbage"])
def test_a_damaged_or_missing_index_is_rebuilt_by_command(instance, damage):
    env, _thread_id, tmp_path = instance
    index = tmp_path / "search_index"
    if damage == "missing":
        __import__("shutil").rmtree(index)
    else:
        for path in index.iterdir():
            if path.is_file():
                path.write_bytes(b"\x00rusak" * 10 if damage == "garbage" else b"")
    rebuilt = _flask(env, "search", "reindex", "--if-needed")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "Indexed 1 posts." in rebuilt.stdout
    again = _flask(env, "search", "reindex", "--if-needed")
    assert "The search index is in place." in again.stdout
    check = _flask(env, "search", "check", "--dry-run")
    assert "No drift." in check.stdout, check.stdout
