"""A real gunicorn serving the app on a free local port, and raw HTTP/1.0 to talk to it.

Raw sockets, not a client library: the slow-upload tests need to spread a body over
seconds, as a throttled phone does.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 2  # gunicorn's worker timeout: short, so a test sees a sync worker killed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch_gunicorn(app_dir: Path, database: str, worker_args: list[str], env=None):
    """Start gunicorn on a free port (``env`` adds to or overrides the settings); don't wait."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "SECRET_KEY": "slow-upload-test",
        "SEARCH_INDEX_DIR": str(app_dir / "search_index"),
        "UPLOADS_DIR": str(app_dir / "uploads"),
        "RATELIMIT_ENABLED": "false",
        **(env or {}),
    }
    command = [
        sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
        "--timeout", str(TIMEOUT), "--graceful-timeout", "1", *worker_args, "app:app",
    ]  # fmt: skip
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    return server, port


def wait_until_serving(server, port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until it accepts connections
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(server.stderr.read().decode()) from None
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def start_gunicorn(app_dir: Path, database: str, worker_args: list[str], env=None):
    server, port = launch_gunicorn(app_dir, database, worker_args, env)
    wait_until_serving(server, port)
    return server, port


def stop(server) -> None:
    server.terminate()
    server.wait(timeout=10)
    server.stderr.close()


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
    # A host the forum answers to (TRUSTED_HOSTS): any other is a 400.
    head = f"GET {path} HTTP/1.0\r\nHost: localhost\r\nCookie: {cookie}\r\n\r\n"
    return request(port, head.encode())


def post(port, path, cookie, body, content_type, seconds=0):
    head = (
        f"POST {path} HTTP/1.0\r\nHost: localhost\r\nCookie: {cookie}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    return request(port, head, body=body, seconds=seconds)


def session_cookie(reply: bytes) -> str:
    return re.search(rb"Set-Cookie: (session=[^;]+)", reply).group(1).decode()


def token(reply: bytes) -> str:
    return re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', reply).group(1).decode()
