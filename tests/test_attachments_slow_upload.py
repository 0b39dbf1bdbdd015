"""A slow phone's upload survives the documented gunicorn setup (gthread), not the sync default.

Gunicorn kills a sync worker that spends longer than ``--timeout`` on one
request, and reading a 25 MB post at 1 Mbit/s takes minutes. gthread workers keep
reporting to the arbiter while a thread reads the body, so only the idle
keep-alive and the proxy limit a slow upload. To stay bounded, the test uses a
2-second timeout and a 6-second upload instead of 30 s and minutes.
"""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from tests.test_attachments_samples import photo

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 2
UPLOAD_SECONDS = 6


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(app_dir: Path, database: str, worker_args: list[str]):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "SECRET_KEY": "slow-upload-test",
        "SEARCH_INDEX_DIR": str(app_dir / "search_index"),
        "UPLOADS_DIR": str(app_dir / "uploads"),
        "RATELIMIT_ENABLED": "false",
    }
    command = [
        sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
        "--timeout", str(TIMEOUT), "--graceful-timeout", "1", *worker_args, "app:app",
    ]  # fmt: skip
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until it accepts connections
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(server.stderr.read().decode()) from None
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def request(port: int, raw: bytes, *, body: bytes = b"", seconds: float = 0) -> bytes:
    """Send a request, the body spread over ``seconds`` (a throttled phone); return the reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(raw)
        chunks = 20 if seconds else 1
        size = -(-len(body) // chunks)
        try:
            for n in range(chunks):
                sock.sendall(body[n * size : (n + 1) * size])
                if seconds:
                    time.sleep(seconds / chunks)  # the throttle itself, not waiting for work
        except (BrokenPipeError, ConnectionResetError):
            return b""
        reply = b""
        try:
            while data := sock.recv(65536):
                reply += data
        except (ConnectionResetError, TimeoutError):
            pass
        return reply


def get(port, path, cookie=""):
    return request(port, f"GET {path} HTTP/1.0\r\nHost: x\r\nCookie: {cookie}\r\n\r\n".encode())


def post(port, path, cookie, body, content_type, seconds=0):
    head = (
        f"POST {path} HTTP/1.0\r\nHost: x\r\nCookie: {cookie}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    return request(port, head, body=body, seconds=seconds)


def session_cookie(reply: bytes) -> str:
    return re.search(rb"Set-Cookie: (session=[^;]+)", reply).group(1).decode()


def token(reply: bytes) -> str:
    return re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', reply).group(1).decode()


def upload_slowly(port: int, username: str) -> bytes:
    from urllib.parse import urlencode

    from werkzeug.datastructures import FileStorage
    from werkzeug.datastructures import MultiDict
    from werkzeug.test import encode_multipart

    page = get(port, "/auth/login")
    cookie = session_cookie(page)
    form = urlencode({"csrf_token": token(page), "username": username, "password": PASSWORD})
    logged_in = post(
        port, "/auth/login", cookie, form.encode(), "application/x-www-form-urlencoded"
    )
    cookie = session_cookie(logged_in)
    new_page = get(port, "/threads/new", cookie)
    if b"Set-Cookie: session=" in new_page:  # the page may have started a CSRF secret
        cookie = session_cookie(new_page)

    data = MultiDict(
        {
            "csrf_token": token(new_page),
            "kind": "practice",
            "title": "Foto dari sinyal lemah",
            "body": "Diunggah pelan-pelan dari desa.",
        }
    )
    data.add("files", FileStorage(io.BytesIO(photo((800, 600))), filename="lambat.jpg"))
    data.add("captions", "")
    boundary, body = encode_multipart(data)
    return post(
        port,
        "/threads/new",
        cookie,
        body,
        f"multipart/form-data; boundary={boundary}",
        seconds=UPLOAD_SECONDS,
    )


@pytest.mark.parametrize(
    ("worker_args", "survives"),
    [(["--worker-class", "gthread", "--threads", "4"], True), ([], False)],
    ids=["gthread", "sync"],
)
def test_a_slow_upload_needs_gthread_workers(sqlite_app, tmp_path, worker_args, survives):
    from forum.auth.service import create_user
    from forum.extensions import db

    with sqlite_app.app_context():
        create_user("lambat", "lambat@contoh.id", PASSWORD, display_name="Lambat")
        db.session.commit()
    server, port = start_gunicorn(
        tmp_path, sqlite_app.config["SQLALCHEMY_DATABASE_URI"], worker_args
    )
    try:
        reply = upload_slowly(port, "lambat")
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stderr.close()
    if survives:
        assert reply.startswith((b"HTTP/1.1 302", b"HTTP/1.0 302")), reply[:300]
        assert list((tmp_path / "uploads").rglob("*.jpg"))
    else:
        assert not reply.startswith((b"HTTP/1.1 302", b"HTTP/1.0 302"))  # the worker was killed
