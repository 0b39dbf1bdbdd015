"""Does "forgot password" say, by how long it takes, whether an account was found?

POSTs ``/auth/forgot`` (test client, SQLite scratch database, a local SMTP server
that answers after ``--smtp-delay`` seconds, like a distant mail server) for a
member with a confirmed address and for a name nobody has, alternating, and
prints the median and p95 of each and the ratio of the medians. The per-account
cap is raised so every known request really sends.

    .venv/bin/python bench/forgot_timing.py [--runs 40] [--smtp-delay 0.2] [--inline]
"""

from __future__ import annotations

import argparse
import re
import socketserver
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forum import create_app  # noqa: E402
from forum.auth.service import create_user  # noqa: E402
from forum.config import TestConfig  # noqa: E402
from forum.extensions import db  # noqa: E402
from forum.extensions import search  # noqa: E402
from forum.mail import wait_for_background_mail  # noqa: E402
from forum.models import utcnow  # noqa: E402

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class SlowSMTP(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        delay = self.server.delay
        self.wfile.write(b"220 ready\r\n")
        while line := self.rfile.readline():
            verb = line.decode(errors="replace").split(" ", 1)[0].strip().upper()
            if verb == "DATA":
                self.wfile.write(b"354 go\r\n")
                while self.rfile.readline() not in (b".\r\n", b""):
                    pass
                time.sleep(delay)
                self.wfile.write(b"250 queued\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--smtp-delay", type=float, default=0.2)
    parser.add_argument(
        "--inline", action="store_true", help="send inside the request (the design before)"
    )
    args = parser.parse_args()
    if args.inline:
        import forum.auth.views
        import forum.mail

        forum.auth.views.send_later = forum.mail.send

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SlowSMTP)
    server.daemon_threads, server.delay = True, args.smtp_delay
    threading.Thread(target=server.serve_forever, daemon=True).start()
    tmp = Path(tempfile.mkdtemp())
    settings = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite'}",
        "SEARCH_INDEX_DIR": str(tmp / "index"),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": server.server_address[1],
        "FORGOT_MAILS_PER_ACCOUNT_PER_HOUR": 10_000,
    }
    app = create_app(type("C", (TestConfig,), settings))
    with app.app_context():
        db.create_all()
        search.rebuild([], 0)
        user = create_user("asep", "asep@contoh.id", "kata-sandi-rahasia")
        user.email_confirmed_at = utcnow()
        db.session.commit()

    client = app.test_client()
    token = CSRF_RE.search(client.get("/auth/forgot").get_data(as_text=True)).group(1)
    times = {"known": [], "unknown": []}
    for n in range(args.runs * 2):
        kind = "known" if n % 2 == 0 else "unknown"
        name = "asep" if kind == "known" else f"tidak_ada_{n}"
        start = time.perf_counter()
        response = client.post("/auth/forgot", data={"identifier": name, "csrf_token": token})
        times[kind].append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
        wait_for_background_mail()  # the next request starts with nothing pending
    how = "inside the request" if args.inline else "in the background"
    print(
        f"runs {args.runs} each, mail sent {how}, "
        f"SMTP answers after {args.smtp_delay * 1000:.0f} ms"
    )
    print("| request | p50 ms | p95 ms |")
    print("|---|---:|---:|")
    for kind, values in times.items():
        print(f"| {kind} | {statistics.median(values):.1f} | {percentile(values, 0.95):.1f} |")
    ratio = statistics.median(times["known"]) / statistics.median(times["unknown"])
    print(f"known p50 / unknown p50: {ratio:.2f}")
    server.shutdown()


if __name__ == "__main__":
    main()
