"""Load test: 30 members browse many threads, search, post and reply against gunicorn.

    .venv/bin/python bench/load.py                       # SQLite, 60 s, new code beside e3d15b9
    .venv/bin/python bench/load.py --database postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/load.py --baseline none       # this checkout only
    .venv/bin/python bench/load.py --short               # ~20 s, this checkout only (CI)
    .venv/bin/python bench/load.py --write-results       # append the figures to bench/RESULTS.md

For this checkout and, unless ``--baseline none``, a ``git archive`` of the
baseline commit (default e3d15b9, the code the issue-15 figures came from; its
catalogues compiled), it makes a fresh instance in a temporary directory (for
PostgreSQL a fresh database ``serambi_load_<pid>_<n>`` on the given server,
dropped afterwards): ``flask db upgrade``, ``flask demo load``, the simulated
members, the same ``--threads`` generated threads with their replies written
through each code base's own services (bench/corpus.py text), ``flask search
reindex`` (and ``flask search similar --refresh`` where the code has it). Each
is served by ``gunicorn --workers 2`` on 127.0.0.1 with request rate limits
lifted (``RATELIMIT_ENABLED=false``: Flask-Limiter would otherwise refuse a load
generator that posts 30 times a minute from one address).

The same members (same seed, same think time) then drive the code bases in
turn, in ``--rounds`` slices of ``--duration / --rounds`` seconds each, ABBA
order, so a machine getting busier or quieter weighs on both alike. Half of the
thread views pick any of the generated threads (mostly first views: each one
writes the member's read position), half a thread the member saw linked (the
home page's hot threads: repeats). Where the baseline has no
``/threads/<id>/unread`` (e3d15b9), the member opens the thread page instead.

Afterwards every acknowledged post (a POST answered with its redirect to the
thread) is looked up in the database and in the search index. Exit status 1 if
any response was a 5xx, any request failed, or any acknowledged post is missing.

Bare page: before the forums, the same members with the same think time
request a bare Flask page ("hello") from the same gunicorn setup for ``--bare``
seconds; it shows what the members' think time alone allows.
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
sys.path.insert(0, str(ROOT))  # bench.* and this checkout, run as a script or imported

from bench.corpus import generate  # noqa: E402
from bench.thread_page import code_of  # noqa: E402

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
BASELINE = "e3d15b9"  # the code the issue-15 figures came from
THREADS = 400  # generated threads for a full run
SHORT_THREADS = 60  # for --short and tests/test_load_short.py: cheap to write
ANY_THREAD = 0.5  # share of thread views and replies that pick any generated thread

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
    seen: set[tuple[str, int]] = field(default_factory=set)  # (member, thread) pages opened
    first_views: int = 0  # thread pages a member opened for the first time
    seconds: float = 0.0  # how long members were driving this code base
    lock: threading.Lock = field(default_factory=threading.Lock)

    def viewed(self, member: str, thread_id: int) -> None:
        with self.lock:
            if (member, thread_id) not in self.seen:
                self.seen.add((member, thread_id))
                self.first_views += 1

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

    def __init__(
        self,
        port: int,
        username: str,
        stats: Stats,
        rng: random.Random,
        everyone: list[int] | None = None,
    ):
        self.port, self.username, self.stats, self.rng = port, username, stats, rng
        self.cookies: dict[str, str] = {}
        self.token = ""
        self.thread_ids: list[int] = []  # threads linked from pages the member saw
        self.everyone = everyone or []  # every generated thread
        self.logged_in = False
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
        self.logged_in = response is not None and response.status == 302
        return self.logged_in

    def pick_thread(self) -> int:
        """Any generated thread (mostly a first view) or one seen linked (often a repeat)."""
        if self.everyone and (not self.thread_ids or self.rng.random() < ANY_THREAD):
            return self.rng.choice(self.everyone)
        return self.rng.choice(self.thread_ids)

    def thread_page(self, kind: str, path: str) -> None:
        self.request(kind, "GET", path)
        self.stats.viewed(self.username, int(path.split("/")[2].split("?")[0]))

    def act(self) -> None:
        kinds, weights = zip(*ACTIONS, strict=True)
        kind = self.rng.choices(kinds, weights)[0]
        if kind in ("thread", "unread", "reply") and not (self.thread_ids or self.everyone):
            kind = "home"
        if kind == "home":
            self.request(kind, "GET", "/")
        elif kind == "list":
            self.request(kind, "GET", f"/threads?page={self.rng.randint(1, 3)}")
        elif kind == "thread":
            self.thread_page(kind, f"/threads/{self.pick_thread()}")
        elif kind == "unread":
            thread_id = self.pick_thread()
            response, _ = self.request(kind, "GET", f"/threads/{thread_id}/unread")
            location = response.getheader("Location", "") if response is not None else ""
            if location.startswith("/threads/"):  # the page; its read position is written after
                self.thread_page("unread_page", location.split("#", 1)[0])
            elif response is not None and response.status == 404:  # no such link (baseline)
                self.thread_page("unread_page", f"/threads/{thread_id}")
        elif kind == "search":
            query = urllib.parse.quote(self.rng.choice(SEARCH_WORDS))
            self.request(kind, "GET", f"/search?q={query}")
        elif kind == "profile":
            self.request(kind, "GET", f"/users/{self.username}")
        elif kind == "reply":
            thread_id = self.pick_thread()
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


def run(cmd: list[str], env: dict, cwd: Path = ROOT, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, cwd=cwd, **{"check": True, **kwargs})


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

# Writes the generated threads (JSON on stdin) through the code base's own services,
# by the demo's librarians; prints the new thread ids.
SEED = """
import json, sys
import sqlalchemy as sa
from forum import create_app
from forum.extensions import db
from forum.models import User
from forum.threads import service
plan = json.load(sys.stdin)
app = create_app()
with app.app_context():
    authors = [u for u in db.session.scalars(sa.select(User).where(User.role == "librarian")
                                             .order_by(User.id))
               if getattr(u, "approval", None) in (None, "approved")]  # published at once
    ids = []
    for n, item in enumerate(plan):
        thread = service.create_thread(authors[item["author"] % len(authors)], item["kind"],
                                       item["title"], item["body"], item["tags"])
        for m, body in enumerate(item["replies"]):
            service.create_reply(authors[(item["author"] + m + 1) % len(authors)], thread, body)
        db.session.flush()
        ids.append(thread.id)
        if n % 20 == 19:
            db.session.commit()
    db.session.commit()
    print(json.dumps(ids))
"""

VERIFY = """
import json, sys
import sqlalchemy as sa
from forum import create_app
from forum.extensions import db, search
from forum.models import Post
from forum.search_documents import all_documents
from search_index import document_key
try:
    from forum.engagement.models import ThreadRead
except ImportError:  # a baseline from before read positions
    ThreadRead = None
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
    reads = None
    if ThreadRead is not None:
        reads = db.session.scalar(sa.select(sa.func.count()).select_from(ThreadRead))
    print(json.dumps({"in_db": len(found), "in_index": len(in_index), "read_positions": reads,
                      "missing_from_db": sorted(set(markers) - set(found))[:10],
                      "backlog": backlog}))
"""


def thread_plan(threads: int, seed: int) -> list[dict]:
    """``threads`` generated threads with their replies (bench/corpus.py), the same every run."""
    rng = random.Random(seed)
    plan: list[dict] = []
    for doc, _label in generate(threads * 12, seed=seed, low=30, high=120):
        if doc.is_opening:
            if len(plan) == threads:
                break
            plan.append(
                {
                    "kind": doc.kind,
                    "title": doc.title[:120],
                    "body": doc.body,
                    "tags": list(doc.tags),
                    "author": rng.randrange(1000),
                    "replies": [],
                }
            )
        else:
            plan[-1]["replies"].append(doc.body)
    return plan


class Instance:
    """A fresh Serambi instance (database, index, uploads) of one code base, served by gunicorn."""

    def __init__(
        self,
        database: str | None,
        tmp: Path,
        workers: int,
        code: Path = ROOT,
        name: str = "this checkout",
        number: int = 0,
    ):
        self.tmp, self.workers, self.admin_url, self.pg_name = tmp, workers, None, None
        self.code, self.name = code, name
        self.thread_ids: list[int] = []
        if database and database.startswith("postgresql"):
            import sqlalchemy as sa
            from sqlalchemy.engine import make_url

            self.pg_name = f"serambi_load_{os.getpid()}_{number}"
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
            "PYTHONPATH": str(code),
        }
        self.port = free_port()
        self.server: subprocess.Popen | None = None

    def flask(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return run([str(BIN / "flask"), *args], self.env, self.code, **kwargs)

    def prepare(self, members: int, threads: int = SHORT_THREADS, seed: int = 8) -> None:
        quiet = {"stdout": subprocess.DEVNULL}
        self.flask("db", "upgrade", **quiet, stderr=subprocess.DEVNULL)
        self.flask("demo", "load", **quiet)
        run([sys.executable, "-c", PREPARE, str(members), PASSWORD], self.env, self.code)
        if threads:
            written = run(
                [sys.executable, "-c", SEED],
                self.env,
                self.code,
                input=json.dumps(thread_plan(threads, seed)),
                stdout=subprocess.PIPE,
                text=True,
            )
            self.thread_ids = json.loads(written.stdout.strip().splitlines()[-1])
        self.flask("search", "reindex", **quiet, stderr=subprocess.DEVNULL)
        has_similar = self.flask("search", "similar", "--help", capture_output=True, check=False)
        if has_similar.returncode == 0:  # stored similar threads (issue 15)
            self.flask("search", "similar", "--refresh", **quiet)

    def start(self) -> None:
        self.server = gunicorn(
            "app:app",
            self.port,
            self.workers,
            env=self.env,
            cwd=self.code,
            stderr=open(self.tmp / "gunicorn.log", "w"),  # noqa: SIM115
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.health() is not None:
                return
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not start; see " + str(self.tmp / "gunicorn.log"))

    def health(self) -> dict | None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", "/healthz")
            return json.loads(conn.getresponse().read())
        except (OSError, ValueError, http.client.HTTPException):
            return None
        finally:
            conn.close()  # a timed-out answer must not leave the socket to the collector

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
            self.code,
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


class Crowd:
    """The members of one code base; they keep their logins from one slice to the next."""

    def __init__(self, port: int, members: int, seed: int, everyone: list[int] | None = None):
        self.stats = Stats()
        self.members = [
            Member(port, f"beban_{n:02d}", self.stats, random.Random(seed + n), everyone)
            for n in range(members)
        ]

    def drive(self, duration: float) -> Stats:
        stop_at = time.monotonic() + duration

        def member_loop(member: Member) -> None:
            if not member.logged_in:
                if not member.log_in():
                    with self.stats.lock:
                        self.stats.failures.append(f"login {member.username}")
                    return
                member.request("home", "GET", "/")
            for _ in range(MAX_REQUESTS_PER_MEMBER):
                if time.monotonic() >= stop_at:
                    break
                member.act()
                time.sleep(member.rng.uniform(0.0, 0.2))  # a member reads a little between clicks

        started = time.monotonic()
        threads = [threading.Thread(target=member_loop, args=(m,)) for m in self.members]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.stats.seconds += time.monotonic() - started
        return self.stats


def drive(
    port: int, members: int, duration: float, seed: int, everyone: list[int] | None = None
) -> Stats:
    """``members`` members against one server for ``duration`` seconds."""
    return Crowd(port, members, seed, everyone).drive(duration)


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


def bare_page(members: int, duration: float, workers: int, seed: int) -> Stats:
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

            started = time.monotonic()
            threads = [threading.Thread(target=member_loop, args=(n,)) for n in range(members)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            stats.seconds = time.monotonic() - started
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(15)
    return stats


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def page_views(stats: Stats) -> list[float]:
    """Every latency but the logins (scrypt on purpose, once per member)."""
    return [v for kind, values in stats.latencies.items() if kind != "login" for v in values]


def spread(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} / {percentile(values, 95) * 1000:.0f}"


def errors(stats: Stats) -> int:
    return len(stats.server_errors) + len(stats.failures)


def report(
    stats: Stats, check: dict, backend: str, duration: float, members: int, bare: Stats | None
) -> str:
    """One code base's figures (tests/test_load_short.py prints it)."""
    bare_median = statistics.median(bare.latencies["bare"]) if bare else None
    seconds = stats.seconds or duration
    lines = [
        f"backend {backend}, {members} members, {seconds:.0f} s, gunicorn 2 workers",
        f"requests served: {stats.requests} ({stats.requests / seconds:.1f}/s); "
        f"5xx: {len(stats.server_errors)}; connection errors: {len(stats.failures)}",
        f"acknowledged posts: {len(stats.acknowledged)}; in the database: {check['in_db']}; "
        f"in the search index: {check['in_index']} (outbox backlog {check['backlog']})",
        f"thread pages: {len(stats.seen)} member x thread pairs, {stats.first_views} first views; "
        f"read positions recorded after responses: {check['read_positions']}",
    ]
    if bare:
        lines.append(
            f"bare Flask page on the same gunicorn: {bare.requests} requests, "
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


def compare(
    runs: list[tuple[str, Stats, dict]], backend: str, members: int, bare: Stats | None
) -> str:
    """The code bases side by side: throughput, errors, p50/p95 per page kind, ratios."""
    (base_name, base, _), (new_name, new, _) = runs[0], runs[-1]
    lines = [f"backend {backend}, {members} members, gunicorn 2 workers each", ""]
    if bare:
        lines.append(
            f"bare Flask page, same members and think time: {bare.requests / bare.seconds:.1f} "
            f"requests/s, p50 {statistics.median(bare.latencies['bare']) * 1000:.0f} ms "
            "(the ceiling the think time allows)"
        )
        lines.append("")
    lines += [
        "| | " + " | ".join(name for name, _, _ in runs) + " |",
        "|---" * (len(runs) + 1) + "|",
    ]
    rows = [
        ("seconds driven", lambda s, c: f"{s.seconds:.0f}"),
        ("requests", lambda s, c: str(s.requests)),
        ("requests/s", lambda s, c: f"{s.requests / s.seconds:.1f}"),
        ("errors (5xx + failed)", lambda s, c: str(errors(s))),
        ("page views p50 / p95 ms", lambda s, c: spread(page_views(s))),
        ("thread pages: first views", lambda s, c: f"{s.first_views} of {len(s.seen)} pairs"),
        ("acknowledged posts / in db / in index",
         lambda s, c: f"{len(s.acknowledged)} / {c['in_db']} / {c['in_index']}"),
        ("read positions recorded", lambda s, c: str(c["read_positions"] or "-")),
    ]  # fmt: skip
    for label, value in rows:
        lines.append(f"| {label} | " + " | ".join(value(s, c) for _, s, c in runs) + " |")
    if len(runs) > 1:
        ratio = (new.requests / new.seconds) / (base.requests / base.seconds)
        lines += ["", f"throughput {new_name} / {base_name}: {ratio:.2f}x", ""]
    kinds = sorted({kind for _, s, _ in runs for kind in s.latencies})
    lines += [
        "| page kind | " + " | ".join(f"{name}: n, p50, p95 ms" for name, _, _ in runs)
        + (" | p50 new / baseline |" if len(runs) > 1 else " |"),
        "|---" * (len(runs) + 1 + (len(runs) > 1)) + "|",
    ]  # fmt: skip
    for kind in kinds:
        cells = []
        for _, s, _ in runs:
            values = s.latencies.get(kind)
            cells.append(
                f"{len(values)}, {statistics.median(values) * 1000:.0f}, "
                f"{percentile(values, 95) * 1000:.0f}"
                if values
                else "-"
            )
        line = f"| {kind} | " + " | ".join(cells)
        if len(runs) > 1:
            a, b = base.latencies.get(kind), new.latencies.get(kind)
            line += f" | {statistics.median(b) / statistics.median(a):.2f}" if a and b else " | -"
        lines.append(line + " |")
    total = sum(sum(values) for values in new.latencies.values())
    shares = sorted(((sum(v), k) for k, v in new.latencies.items()), reverse=True)[:4]
    lines += [
        "",
        f"where {new_name}'s members waited (share of all response time): "
        + ", ".join(f"{kind} {seconds / total:.0%}" for seconds, kind in shares),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="postgresql://... server (fresh databases are made)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per code base")
    parser.add_argument("--rounds", type=int, default=2, help="slices per code base, ABBA order")
    parser.add_argument("--members", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=THREADS, help="generated threads")
    parser.add_argument("--short", action="store_true", help="20 s, this checkout only (CI)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--baseline", default=BASELINE, help="a git ref beside this checkout")
    parser.add_argument("--bare", type=float, default=15.0, help="seconds of bare Flask")
    parser.add_argument("--write-results", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args(argv)
    # Stopped early (SIGTERM): still stop the servers and drop the databases (finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.short:
        args.duration, args.rounds, args.threads, args.baseline = 20.0, 1, SHORT_THREADS, "none"
    backend = "postgresql" if (args.database or "").startswith("postgresql") else "sqlite"
    bare = None
    if args.bare > 0:
        bare = bare_page(args.members, 5.0 if args.short else args.bare, args.workers, args.seed)
    runs: list[tuple[str, Stats, dict]] = []
    with tempfile.TemporaryDirectory(prefix="serambi-load-") as tmp_name:
        tmp = Path(tmp_name)
        codes = [] if args.baseline == "none" else [(f"baseline {args.baseline}", None)]
        codes.append(("this checkout", ROOT))
        instances = []
        try:
            for n, (name, code) in enumerate(codes):
                (tmp / f"i{n}").mkdir()
                if code is None:  # git archive of the baseline (no worktree to clean up)
                    (tmp / f"code{n}").mkdir()
                    code = code_of(args.baseline, tmp / f"code{n}")
                instance = Instance(args.database, tmp / f"i{n}", args.workers, code, name, n)
                instances.append(instance)
                instance.prepare(args.members, args.threads, args.seed)
                instance.start()
            crowds = [
                Crowd(i.port, args.members, args.seed, i.thread_ids) for i in instances
            ]  # fmt: skip
            for r in range(args.rounds):
                for crowd in crowds if r % 2 == 0 else crowds[::-1]:  # ABBA
                    crowd.drive(args.duration / args.rounds)
            for instance in instances:
                instance.wait_for_index()
        finally:
            for instance in instances:
                instance.stop()
        try:
            for instance, crowd in zip(instances, crowds, strict=True):
                runs.append((instance.name, crowd.stats, instance.verify(crowd.stats.acknowledged)))
                if crowd.stats.server_errors:
                    log = (instance.tmp / "gunicorn.log").read_text()[-3000:]
                    print(f"{instance.name}: 5xx responses:", *crowd.stats.server_errors[:10],
                          log, sep="\n", file=sys.stderr)  # fmt: skip
        finally:
            for instance in instances:
                instance.drop()
    text = compare(runs, backend, args.members, bare)
    print(text)
    if args.write_results:
        command = "bench/load.py " + " ".join(argv if argv is not None else sys.argv[1:])
        load = os.getloadavg()
        with open(ROOT / "bench" / "RESULTS.md", "a") as out:
            out.write(
                f"\n### Load, {backend} ({time.strftime('%Y-%m-%d %H:%M')} UTC, "
                f"load average {load[0]:.2f} at the end)\n\n"
                f"`.venv/bin/python {command.replace('--write-results', '').strip()}`"
                f"\n\n{text}\n"
            )
    ok = True
    for _name, stats, check in runs:
        lost = len(stats.acknowledged) - min(check["in_db"], check["in_index"])
        ok = ok and not stats.server_errors and lost == 0 and stats.requests > 0
        ok = ok and len(stats.failures) <= len(stats.acknowledged) // 100
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
