"""A slow phone's upload survives the documented gunicorn setup (gthread), not the sync default.

Gunicorn kills a sync worker that spends longer than ``--timeout`` on one
request, and reading a 25 MB post at 1 Mbit/s takes minutes. gthread workers keep
reporting to the arbiter while a thread reads the body, so only the idle
keep-alive and the proxy limit a slow upload. To stay bounded, the test uses a
2-second timeout and a 6-second upload instead of 30 s and minutes.
"""

from __future__ import annotations

import io

import pytest

from tests.attachment_samples import photo
from tests.gunicorn_server import get
from tests.gunicorn_server import post
from tests.gunicorn_server import session_cookie
from tests.gunicorn_server import start_gunicorn
from tests.gunicorn_server import stop
from tests.gunicorn_server import token
from tests.helpers import PASSWORD

pytestmark = pytest.mark.slow  # real processes: gunicorn, and uploads spread over seconds

UPLOAD_SECONDS = 6


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
        stop(server)
    if survives:
        assert reply.startswith((b"HTTP/1.1 302", b"HTTP/1.0 302")), reply[:300]
        assert list((tmp_path / "uploads").rglob("*.jpg"))
    else:
        assert not reply.startswith((b"HTTP/1.1 302", b"HTTP/1.0 302"))  # the worker was killed
