"""A thread page with 20 replies, member and visitor, next to a bare Flask page, through gunicorn.

    .venv/bin/python bench/thread_page.py                      # this checkout, 300 rounds
    .venv/bin/python bench/thread_page.py --baseline main      # and main's code, same run
    .venv/bin/python bench/thread_page.py --baseline e3d15b9 --baseline main  # several
    .venv/bin/python bench/thread_page.py --rounds 100 --profile  # + cProfile of 50 member views

For each code base (this checkout, and for each ``--baseline REF`` a ``git archive``
of that commit, its catalogues compiled) it makes a fresh SQLite instance in a
temporary directory (``flask db upgrade``, ``flask demo load``, one practice
thread with 20 replies in Markdown by demo members, ``flask search reindex``) and
serves it with ``gunicorn --workers 1``; a bare Flask template page (the same
``<!doctype html>`` skeleton through ``render_template_string``) is served by a
third gunicorn the same way. Requests go one at a time, a new connection each,
and every round asks each page once in a shuffled order, so a busy machine
slows all of them alike; the report gives medians, p95 and their ratios to the
bare page's. "member" is a logged-in librarian, "visitor" a browser without a
login that keeps its session cookie but sends no ``If-None-Match``; "visitor
304" (only where the code sends an ETag) revalidates with the ETag it was given.
The same thread is viewed again and again, so a worker's per-post fragment cache
(forum/fragments.py) is warm after the warm-up; ``FRAGMENT_CACHE_BYTES=0`` in the
environment measures every view as a first one.
"""

from __future__ import annotations

import argparse
import http.client
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
import time
import tomllib
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEMO_PASSWORD = "serambi-demo"
MEMBER = "neneng_sukatani"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

PREPARE = """
from forum import create_app
from forum.extensions import db
from forum.models import User
from forum.threads import service
import sqlalchemy as sa

try:  # SQLite begins IMMEDIATE: the background search drain writes at the same time
    from forum.database import writing
except ImportError:  # an older checkout
    from contextlib import nullcontext as writing

app = create_app()
with app.app_context(), writing():
    users = db.session.scalars(sa.select(User).where(User.role == "librarian")
                               .order_by(User.id)).all()
    body = (
        "Kami membuka **pojok baca** setiap Sabtu pagi di balai desa.\\n\\n"
        "- relawan membacakan dongeng\\n- anak-anak meminjam buku\\n- orang tua ikut\\n\\n"
        "Hasilnya: kunjungan naik dari 12 menjadi 40 anak per minggu. "
        "Lihat juga [panduan TPBIS](https://example.org/tpbis) dan @" + users[1].username + "."
    )
    thread = service.create_thread(users[0], "practice", "Pojok baca Sabtu pagi di balai desa",
                                   body, ["literasi-anak", "pojok-baca"])
    db.session.commit()
    for n in range(20):
        author = users[(n + 1) % len(users)]
        service.create_reply(author, thread,
                             f"Balasan {n + 1}: kami juga mencoba. *Terima kasih* atas "
                             f"idenya.\\n\\n1. jadwal tetap\\n2. buku bergilir\\n\\n" + body)
        db.session.commit()
    print(thread.id)
"""

BARE_APP = """from flask import Flask, render_template_string

app = Flask(__name__)
PAGE = '''<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1>
{% for p in posts %}<p>{{ p }}</p>{% endfor %}</main></body></html>'''


@app.get("/")
def hello():
    return render_template_string(PAGE, title="Serambi", posts=["Halo"] * 3)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn(app: str, port: int, workers: int, **kwargs) -> subprocess.Popen:
    command = [
        str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
        "--graceful-timeout", "5", "--log-level", "warning", app,
    ]  # fmt: skip
    return subprocess.Popen(command, **kwargs)


def wait_for(port: int, server: subprocess.Popen, log: Path | None = None) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not start; see {log}")


class Client:
    """A browser: a cookie jar, one request at a time, a new connection each."""

    def __init__(self, port: int):
        self.port, self.cookies, self.etags = port, {}, {}

    def get(self, path: str, *, revalidate: bool = False):
        return self.request("GET", path, revalidate=revalidate)

    def request(self, method: str, path: str, form=None, *, revalidate: bool = False):
        headers = {"Accept-Language": "id"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if revalidate and path in self.etags:
            headers["If-None-Match"] = self.etags[path]
        body = urllib.parse.urlencode(form) if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        started = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        seconds = time.perf_counter() - started
        conn.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        if response.getheader("ETag") and response.status == 200:
            self.etags[path] = response.getheader("ETag")
        return response.status, text, seconds


class Instance:
    """One code base's forum: a fresh SQLite instance served by gunicorn."""

    def __init__(self, name: str, code: Path, tmp: Path, workers: int):
        self.name, self.code, self.tmp, self.workers = name, code, tmp, workers
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp / 'serambi.sqlite'}",
            "SEARCH_INDEX_DIR": str(tmp / "search_index"),
            "UPLOADS_DIR": str(tmp / "uploads"),
            "SECRET_KEY": secrets.token_hex(32),
            "SERAMBI_ENV": "production",
            "RATELIMIT_ENABLED": "false",
            "PYTHONPATH": str(code),
        }
        self.port = free_port()
        self.env["SERAMBI_BASE_URL"] = f"http://127.0.0.1:{self.port}"  # required in production
        self.server = None
        self.thread_id = None

    def run(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        result = subprocess.run(
            args, env=self.env, cwd=self.code, text=True, capture_output=True, **kwargs
        )
        if result.returncode:
            raise RuntimeError(f"{self.name}: {' '.join(args)} failed:\n{result.stderr[-2000:]}")
        return result

    def prepare(self) -> None:
        self.run(str(BIN / "flask"), "db", "upgrade")
        self.run(str(BIN / "flask"), "demo", "load")
        self.thread_id = int(self.run(sys.executable, "-c", PREPARE).stdout.split()[-1])
        self.run(str(BIN / "flask"), "search", "reindex")

    def start(self) -> None:
        log = self.tmp / "gunicorn.log"
        self.server = gunicorn(
            "app:app", self.port, self.workers, env=self.env, cwd=self.code,
            stderr=open(log, "w"),  # noqa: SIM115
        )  # fmt: skip
        wait_for(self.port, self.server, log)

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(15)
            except subprocess.TimeoutExpired:
                self.server.kill()

    def member(self) -> Client:
        client = Client(self.port)
        _, page, _ = client.get("/auth/login")
        token = CSRF_RE.search(page).group(1)
        status, _, _ = client.request(
            "POST",
            "/auth/login",
            {"username": MEMBER, "password": DEMO_PASSWORD, "csrf_token": token},
        )
        assert status == 302, f"{self.name}: login answered {status}"
        return client


def code_of(ref: str, tmp: Path) -> Path:
    """``git archive`` of ``ref`` in ``tmp``, its translation catalogues compiled."""
    target = tmp / "code"
    target.mkdir()
    archive = subprocess.run(
        ["git", "archive", ref], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    subprocess.run(
        [str(BIN / "pybabel"), "compile", "-d", str(target / "forum" / "translations")],
        check=True,
        capture_output=True,
    )
    missing = missing_requirements(target / "pyproject.toml")
    if missing:  # an older checkout's dependencies this .venv no longer has (e3d15b9: cachetools)
        subprocess.run(
            [str(BIN / "pip"), "install", "-q", "--no-deps", "--target", str(target), *missing],
            check=True,
        )
    return target


def missing_requirements(pyproject: Path) -> list[str]:
    """The project's dependencies that this interpreter lacks or has in another version."""
    from importlib import metadata

    from packaging.requirements import Requirement

    missing = []
    for spec in tomllib.loads(pyproject.read_text())["project"]["dependencies"]:
        requirement = Requirement(spec)
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            missing.append(spec)
            continue
        if not requirement.specifier.contains(installed, prereleases=True):
            missing.append(spec)
    return missing


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def profile_member_views(code: Path, views: int) -> str:
    """cProfile over ``views`` member views of the bench thread, in process (test client)."""
    script = f"""
import cProfile, pstats, io, re, sys
from forum import create_app
from forum.extensions import db
from forum.models import Thread
import sqlalchemy as sa
app = create_app()
client = app.test_client()
page = client.get("/auth/login").get_data(as_text=True)
token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
assert client.post("/auth/login", data={{"username": "{MEMBER}", "password": "{DEMO_PASSWORD}",
                   "csrf_token": token}}).status_code == 302
with app.app_context():
    thread_id = db.session.scalar(sa.select(sa.func.max(Thread.id)))
for _ in range(5):
    client.get(f"/threads/{{thread_id}}")
profile = cProfile.Profile()
profile.enable()
for _ in range({views}):
    assert client.get(f"/threads/{{thread_id}}").status_code == 200
profile.disable()
out = io.StringIO()
stats = pstats.Stats(profile, stream=out).sort_stats("cumulative")
stats.print_stats(45)
stats.sort_stats("tottime").print_stats(25)
print(out.getvalue())
"""
    return script


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--baseline", action="append", default=[], help="a git ref to measure too (repeatable)"
    )
    parser.add_argument("--rounds", type=int, default=300, help="requests per page kind")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="print cProfile of member views")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="serambi-thread-") as tmp_name:
        tmp = Path(tmp_name)
        codes = []
        for n, ref in enumerate(args.baseline):
            (tmp / f"baseline{n}").mkdir()
            codes.append((f"baseline {ref}", code_of(ref, tmp / f"baseline{n}")))
        codes.append(("this checkout", ROOT))
        instances = []
        for n, (name, code) in enumerate(codes):
            (tmp / f"i{n}").mkdir()
            instances.append(Instance(name, code, tmp / f"i{n}", args.workers))
        (tmp / "bare").mkdir()
        (tmp / "bare" / "bare.py").write_text(BARE_APP)
        bare_port = free_port()
        bare = gunicorn("bare:app", bare_port, args.workers, cwd=tmp / "bare")
        try:
            wait_for(bare_port, bare)
            for instance in instances:
                instance.prepare()
                instance.start()
            pages = {"bare": (Client(bare_port), "/", False)}
            for instance in instances:
                path = f"/threads/{instance.thread_id}"
                visitor = Client(instance.port)
                status, _, _ = visitor.get(path)
                assert status == 200, status
                pages[f"{instance.name}: member"] = (instance.member(), path, False)
                pages[f"{instance.name}: visitor"] = (visitor, path, False)
                if visitor.etags.get(path):
                    pages[f"{instance.name}: visitor 304"] = (visitor, path, True)
            for client, path, revalidate in pages.values():  # warm up every worker
                for _ in range(5):
                    client.get(path, revalidate=revalidate)
            times: dict[str, list[float]] = {kind: [] for kind in pages}
            statuses: dict[str, set[int]] = {kind: set() for kind in pages}
            for _ in range(args.rounds):
                order = list(pages)
                rng.shuffle(order)
                for kind in order:
                    client, path, revalidate = pages[kind]
                    status, _, seconds = client.get(path, revalidate=revalidate)
                    statuses[kind].add(status)
                    times[kind].append(seconds)
        finally:
            bare.send_signal(signal.SIGTERM)
            bare.wait(15)
            for instance in instances:
                instance.stop()
        bare_median = statistics.median(times["bare"])
        bare_p95 = percentile(times["bare"], 95)
        print(f"{args.rounds} rounds, gunicorn {args.workers} worker(s), SQLite, "
              f"thread with 20 replies, one request at a time")  # fmt: skip
        print()
        print("| page | status | median ms | p95 ms | median / bare | p95 / bare p95 |")
        print("|---|---|---:|---:|---:|---:|")
        for kind, values in times.items():
            median, p95 = statistics.median(values), percentile(values, 95)
            print(
                f"| {kind} | {'/'.join(map(str, sorted(statuses[kind])))} | "
                f"{median * 1000:.1f} | {p95 * 1000:.1f} | "
                f"{median / bare_median:.1f}× | {p95 / bare_p95:.1f}× |"
            )
        if args.profile:
            instance = instances[-1]
            result = subprocess.run(
                [sys.executable, "-c", profile_member_views(instance.code, 50)],
                env=instance.env, cwd=instance.code, check=True, text=True,
                capture_output=True,
            )  # fmt: skip
            print(result.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
