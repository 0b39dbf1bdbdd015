"""Load test: 30 members browse, search, post and reply against gunicorn for 60 s.

    .venv/bin/python bench/load.py                       # SQLite, 60 s, 30 members
    .venv/bin/python bench/load.py --database postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/load.py --short               # ~20 s, for CI (tests/test_load_short.py)
    .venv/bin/python bench/load.py --write-results       # append the figures to bench/RESULTS.md

It makes a fresh instance in a temporary directory (for PostgreSQL a fresh
database ``serambi_load_<pid>`` on the given server, dropped afterwards), runs
``flask db upgrade``, ``flask demo load``, adds the simulated members and
builds the index, then starts ``gunicorn --workers 2`` on 127.0.0.1 with request
rate limits lifted (``RATELIMIT_ENABLED=false``: Flask-Limiter would otherwise
refuse a load generator that posts 30 times a minute from one address).

Traffic goes only to 127.0.0.1, bounded by ``--duration`` and a per-member
request cap. Afterwards every acknowledged post (a POST answered with its
redirect to the thread) is looked up in the database and in the search index.
Exit status 1 if any response was a 5xx or any acknowledged post is missing.

Baseline: before the forum, the same members with the same think time request
a bare Flask page ("hello") from the same gunicorn setup for ``--baseline``
seconds; the report gives each page kind's median as a ratio to the bare
page's, so figures from a busy machine stay comparable.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "serambi-beban-123"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
THREAD_LINK_RE = re.compile(r'href="/threads/(\d+)"')
SEARCH_WORDS = [
    "literasi",
    "pojok baca",
    "pelatihan",
    "anak",
    "dongeng",
    "perpustakaan desa",
    "kegiatan",
    "buku",
    '"pojok baca"',
    "kind:challenge",
    "tag:literasi-anak",
]
MAX_REQUESTS_PER_MEMBER = 5_000  # a hard bound besides the duration

# What a member does next, and how often.
ACTIONS = [
    ("home", 20),
    ("list", 10),
    ("thread", 30),
    ("unread", 10),  # "N baru" in a list: the first unread reply (a redirect, then the page)
    ("search", 20),
    ("profile", 5),
    ("reply", 12),
    ("new_thread", 3),
]


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    server_errors: list[str] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)  # markers of posts that got their 302
    failures: list[str] = field(default_factory=list)  # connection errors and the like
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, status: int, seconds: float, url: str) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[status] += 1
            if status >= 500:
                self.server_errors.append(f"{status} {kind} {url}")

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())


class Member:
    """One simulated member: a connection, a cookie, a CSRF token."""

    def __init__(self, port: int, username: str, stats: Stats, rng: random.Random):
        self.port, self.username, self.stats, self.rng = port, username, stats, rng
        self.cookies: dict[str, str] = {}
        self.token = ""
        self.thread_ids: list[int] = []
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, kind: str, method: str, url: str, form: dict | None = None):
        body = urllib.parse.urlencode(form) if form is not None else None
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.conn.request(method, url, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            self.conn.close()  # reconnect on the next request
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            with self.stats.lock:
                self.stats.failures.append(f"{kind} {url}: {type(error).__name__}")
            return None, ""
        self.stats.record(kind, response.status, time.perf_counter() - started, url)
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        if match := CSRF_RE.search(text):
            self.token = match.group(1)
        self.thread_ids.extend(int(n) for n in THREAD_LINK_RE.findall(text)[:20])
        self.thread_ids = self.thread_ids[-200:]
        return response, text

    def log_in(self, password: str = PASSWORD) -> bool:
        self.request("login_page", "GET", "/auth/login")
        response, _ = self.request(
            "login",
            "POST",
            "/auth/login",
            {"username": self.username, "password": password, "csrf_token": self.token},
        )
        return response is not None and response.status == 302

    def act(self) -> None:
        kinds, weights = zip(*ACTIONS, strict=True)
        kind = self.rng.choices(kinds, weights)[0]
        if kind in ("thread", "unread", "reply") and not self.thread_ids:
            kind = "home"
        if kind == "home":
            self.request(kind, "GET", "/")
        elif kind == "list":
            self.request(kind, "GET", f"/threads?page={self.rng.randint(1, 3)}")
        elif kind == "thread":
            self.request(kind, "GET", f"/threads/{self.rng.choice(self.thread_ids)}")
        elif kind == "unread":
            thread_id = self.rng.choice(self.thread_ids)
            response, _ = self.request(kind, "GET", f"/threads/{thread_id}/unread")
            location = response.getheader("Location", "") if response is not None else ""
            if location.startswith("/threads/"):  # the page; its read position is written after
                self.request("unread_page", "GET", location.split("#", 1)[0])
        elif kind == "search":
            query = urllib.parse.quote(self.rng.choice(SEARCH_WORDS))
            self.request(kind, "GET", f"/search?q={query}")
        elif kind == "profile":
            self.request(kind, "GET", f"/users/{self.username}")
        elif kind == "reply":
            thread_id = self.rng.choice(self.thread_ids)
            marker = f"beban{secrets.token_hex(6)}"
            self.post(
                kind,
                f"/threads/{thread_id}/replies",
                marker,
                {"body": f"Balasan uji beban {marker}: kami juga mencoba pojok baca."},
            )
        elif kind == "new_thread":
            marker = f"beban{secrets.token_hex(6)}"
            self.post(
                kind,
                "/threads/new",
                marker,
                {
                    "kind": self.rng.choice(["practice", "challenge"]),
                    "title": f"Uji beban {marker} kegiatan literasi",
                    "body": f"Isi uji beban {marker}: kegiatan membaca bersama setiap Sabtu.",
                    "tags": "uji-beban",
                },
            )

    def post(self, kind: str, url: str, marker: str, form: dict) -> None:
        """POST a form; its marker counts as acknowledged when the redirect comes back."""
        response, _ = self.request(kind, "POST", url, {**form, "csrf_token": self.token})
        location = response.getheader("Location", "") if response is not None else ""
        if response is not None and response.status in (302, 303) and "/threads/" in location:
            with self.stats.lock:
                self.stats.acknowledged.append(marker)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(cmd: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, **kwargs)


PREPARE = """
import sys
from forum import create_app
from forum.auth.service import create_user
from forum.extensions import db
app = create_app()
with app.app_context():
    for n in range(int(sys.argv[1])):
        create_user(f"beban_{n:02d}", f"beban{n}@contoh.id", sys.argv[2],
                    display_name=f"Anggota Beban {n}")
    db.session.commit()
"""

VERIFY = """
import json, sys
import sqlalchemy as sa
from forum import create_app
from forum.extensions import db, search
from forum.engagement.models import ThreadRead
from forum.models import Post
from forum.search_documents import all_documents
from search_index import document_key
markers = json.load(sys.stdin)
app = create_app()
with app.app_context():
    found = {}
    for chunk in range(0, len(markers), 200):
        part = markers[chunk:chunk + 200]
        rows = db.session.execute(sa.select(Post.id, Post.body).where(
            sa.or_(*[Post.body.contains(m) for m in part]))).all()
        for post_id, body in rows:
            for m in part:
                if m in body:
                    found[m] = post_id
    documents, _ = all_documents(db.session)
    report = search.check(documents, repair=False)
    missing = set(report.missing) | set(report.stale)
    in_index = [m for m, pid in found.items() if document_key(pid) not in missing]
    backlog = search.status(db.engine).get("outbox_backlog")
    reads = db.session.scalar(sa.select(sa.func.count()).select_from(ThreadRead))
    print(json.dumps({"in_db": len(found), "in_index": len(in_index), "read_positions": reads,
                      "missing_from_db": sorted(set(markers) - set(found))[:10],
                      "backlog": backlog}))
"""


class Instance:
    """A fresh Serambi instance (database, index, uploads) served by gunicorn."""

    def __init__(self, database: str | None, tmp: Path, workers: int):
        self.tmp, self.workers, self.admin_url, self.pg_name = tmp, workers, None, None
        if database and database.startswith("postgresql"):
            import sqlalchemy as sa
            from sqlalchemy.engine import make_url

            self.pg_name = f"serambi_load_{os.getpid()}"
            self.admin_url = database
            engine = sa.create_engine(database, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
                conn.exec_driver_sql(f'CREATE DATABASE "{self.pg_name}"')
            engine.dispose()
            url = make_url(database).set(database=self.pg_name)
            self.database = url.render_as_string(hide_password=False)
        else:
            self.database = database or f"sqlite:///{tmp / 'serambi.sqlite'}"
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database,
            "SEARCH_INDEX_DIR": str(tmp / "search_index"),
            "UPLOADS_DIR": str(tmp / "uploads"),
            "SECRET_KEY": secrets.token_hex(32),
            "SERAMBI_ENV": "production",
            "SERAMBI_BASE_URL": "http://127.0.0.1",  # required in production
            "SESSION_COOKIE_SECURE": "false",  # plain HTTP on the loopback
            "RATELIMIT_ENABLED": "false",  # the bench posts far faster than any member
            "PYTHONPATH": str(ROOT),
        }
        self.port = free_port()
        self.server: subprocess.Popen | None = None

    def prepare(self, members: int) -> None:
        quiet = {"stdout": subprocess.DEVNULL}
        run([str(BIN / "flask"), "db", "upgrade"], self.env, **quiet, stderr=subprocess.DEVNULL)
        run([str(BIN / "flask"), "demo", "load"], self.env, **quiet)
        run([sys.executable, "-c", PREPARE, str(members), PASSWORD], self.env)
        run([str(BIN / "flask"), "search", "reindex"], self.env, **quiet, stderr=subprocess.DEVNULL)

    def start(self) -> None:
        self.server = gunicorn(
            "app:app",
            self.port,
            self.workers,
            env=self.env,
            cwd=ROOT,
            stderr=open(self.tmp / "gunicorn.log", "w"),  # noqa: SIM115
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.health() is not None:
                return
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not start; see " + str(self.tmp / "gunicorn.log"))

    def health(self) -> dict | None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            conn.request("GET", "/healthz")
            return json.loads(conn.getresponse().read())
        except (OSError, ValueError, http.client.HTTPException):
            return None

    def wait_for_index(self, seconds: float = 20) -> None:
        """Let the background drainers empty the outbox, as they would on a live site."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            report = self.health() or {}
            if report.get("outbox_backlog") == 0:
                return
            time.sleep(0.5)

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(15)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()

    def verify(self, markers: list[str]) -> dict:
        result = run(
            [sys.executable, "-c", VERIFY],
            self.env,
            input=json.dumps(markers),
            capture_output=True,
            text=True,
        )
        return json.loads(result.stdout.strip().splitlines()[-1])

    def drop(self) -> None:
        if self.pg_name:
            import sqlalchemy as sa

            engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
            engine.dispose()


def drive(port: int, members: int, duration: float, seed: int) -> Stats:
    stats = Stats()
    stop_at = time.monotonic() + duration

    def member_loop(n: int) -> None:
        member = Member(port, f"beban_{n:02d}", stats, random.Random(seed + n))
        if not member.log_in():
            with stats.lock:
                stats.failures.append(f"login beban_{n:02d}")
            return
        member.request("home", "GET", "/")
        for _ in range(MAX_REQUESTS_PER_MEMBER):
            if time.monotonic() >= stop_at:
                break
            member.act()
            time.sleep(member.rng.uniform(0.0, 0.2))  # a member reads a little between clicks

    threads = [threading.Thread(target=member_loop, args=(n,)) for n in range(members)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return stats


BARE_APP = """from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "<!doctype html><title>Serambi</title><p>Halo</p>"
"""


def gunicorn(app: str, port: int, workers: int, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
            app,
        ],
        **kwargs,
    )


def baseline(members: int, duration: float, workers: int, seed: int) -> Stats:
    """The same members and think time against a bare Flask page on the same gunicorn."""
    stats = Stats()
    with tempfile.TemporaryDirectory(prefix="serambi-bare-") as tmp:
        (Path(tmp) / "bare.py").write_text(BARE_APP)
        port = free_port()
        server = gunicorn("bare:app", port, workers, cwd=tmp)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            stop_at = time.monotonic() + duration

            def member_loop(n: int) -> None:
                member = Member(port, f"bare_{n:02d}", stats, random.Random(seed + n))
                for _ in range(MAX_REQUESTS_PER_MEMBER):
                    if time.monotonic() >= stop_at:
                        break
                    member.request("bare", "GET", "/")
                    time.sleep(member.rng.uniform(0.0, 0.2))

            threads = [threading.Thread(target=member_loop, args=(n,)) for n in range(members)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(15)
    return stats


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def report(
    stats: Stats, check: dict, backend: str, duration: float, members: int, bare: Stats | None
) -> str:
    bare_median = statistics.median(bare.latencies["bare"]) if bare else None
    lines = [
        f"backend {backend}, {members} members, {duration:.0f} s, gunicorn 2 workers",
        f"requests served: {stats.requests} ({stats.requests / duration:.1f}/s); "
        f"5xx: {len(stats.server_errors)}; connection errors: {len(stats.failures)}",
        f"acknowledged posts: {len(stats.acknowledged)}; in the database: {check['in_db']}; "
        f"in the search index: {check['in_index']} (outbox backlog {check['backlog']})",
        f"read positions recorded after responses (members x threads): {check['read_positions']}",
    ]
    if bare:
        lines.append(
            f"baseline, bare Flask page on the same gunicorn: {bare.requests} requests, "
            f"p50 {bare_median * 1000:.0f} ms, "
            f"p95 {percentile(bare.latencies['bare'], 95) * 1000:.0f} ms"
        )
    lines += [
        "",
        "| page kind | requests | p50 ms | p95 ms | p50 / bare p50 |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind, values in sorted(stats.latencies.items()):
        median = statistics.median(values)
        ratio = f"{median / bare_median:.1f}" if bare_median else "-"
        lines.append(
            f"| {kind} | {len(values)} | {median * 1000:.0f} | "
            f"{percentile(values, 95) * 1000:.0f} | {ratio} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="postgresql://... server (a fresh database is made)")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--members", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--short", action="store_true", help="20 s with 30 members (CI)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--baseline", type=float, default=15.0, help="seconds of bare Flask")
    parser.add_argument("--write-results", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args(argv)
    duration = 20.0 if args.short else args.duration
    backend = "postgresql" if (args.database or "").startswith("postgresql") else "sqlite"
    bare = None
    if args.baseline > 0:
        bare = baseline(args.members, 5.0 if args.short else args.baseline, args.workers, args.seed)
    with tempfile.TemporaryDirectory(prefix="serambi-load-") as tmp:
        instance = Instance(args.database, Path(tmp), args.workers)
        try:
            instance.prepare(args.members)
            instance.start()
            stats = drive(instance.port, args.members, duration, args.seed)
            instance.wait_for_index()
        finally:
            instance.stop()
        try:
            check = instance.verify(stats.acknowledged)
        finally:
            instance.drop()
        if stats.server_errors:
            log = (Path(tmp) / "gunicorn.log").read_text()[-3000:]
            print("5xx responses:", *stats.server_errors[:10], log, sep="\n", file=sys.stderr)
    text = report(stats, check, backend, duration, args.members, bare)
    print(text)
    if args.write_results:
        command = "bench/load.py " + " ".join(argv if argv is not None else sys.argv[1:])
        with open(ROOT / "bench" / "RESULTS.md", "a") as out:
            out.write(
                f"\n### Load, {backend} ({time.strftime('%Y-%m-%d')})\n\n"
                f"`.venv/bin/python {command.replace('--write-results', '').strip()}`"
                f"\n\n{text}\n"
            )
    lost = len(stats.acknowledged) - min(check["in_db"], check["in_index"])
    ok = (
        not stats.server_errors
        and lost == 0
        and stats.requests > 0
        and len(stats.failures) <= len(stats.acknowledged) // 100
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
