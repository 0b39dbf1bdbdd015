"""Hostile uploads cost one member's request, never everyone's: each is refused (or handled
within its bounds) as a form error, nothing is kept, and no database lock is held meanwhile.

No test here measures time: each asserts the outcome and which bound stopped the file
(no child started at all, the CPU limit, the memory limit).
"""

# The fixtures `client` and `uploads` come from tests/attachment_helpers.py, by import.
# ruff: noqa: F811

from __future__ import annotations

import io
import logging
import sqlite3
import threading

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from PIL import Image

from forum.attachments import bounded
from forum.attachments import images
from forum.attachments import service
from forum.attachments.inspect import Rejected
from forum.attachments.models import Attachment
from forum.extensions import db
from forum.models import Post
from forum.models import Thread
from forum.models import User
from tests.attachment_helpers import attachments_of
from tests.attachment_helpers import client  # noqa: F401 - the English-reading browser
from tests.attachment_helpers import new_thread_with
from tests.attachment_helpers import send
from tests.attachment_helpers import stored_files
from tests.attachment_helpers import uploads  # noqa: F401 - this test's uploads folder
from tests.attachment_samples import abort
from tests.attachment_samples import allocate
from tests.attachment_samples import animated_webp
from tests.attachment_samples import burn_cpu
from tests.attachment_samples import hang
from tests.attachment_samples import heic_claiming
from tests.attachment_samples import jpeg_claiming
from tests.attachment_samples import pdf_of_pages
from tests.attachment_samples import pdf_slow_to_draw
from tests.attachment_samples import photo
from tests.attachment_samples import png_bomb
from tests.attachment_samples import png_bomb_within_cap
from tests.attachment_samples import png_claiming
from tests.attachment_samples import refuse_empty
from tests.attachment_samples import webp_claiming
from tests.gunicorn_server import get
from tests.gunicorn_server import post
from tests.gunicorn_server import session_cookie
from tests.gunicorn_server import start_gunicorn
from tests.gunicorn_server import stop
from tests.gunicorn_server import token
from tests.helpers import PASSWORD
from tests.helpers import app_db
from tests.helpers import client_for
from tests.helpers import count_rows
from tests.helpers import login_as

TOO_MANY_PIXELS = "This image has far too many pixels"
TOO_SLOW = "This file takes too long to open"
TOO_BIG = "This file needs too much memory to open"


@pytest.fixture
def child_runs(monkeypatch) -> list:
    """Every bounded child started (the real one still runs)."""
    calls = []
    real_run = bounded.run

    def counting_run(function, *args, bounds):
        calls.append(function.__name__)
        return real_run(function, *args, bounds=bounds)

    monkeypatch.setattr(bounded, "run", counting_run)
    return calls


def assert_refused_and_nothing_kept(app, response, uploads, message):
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html, html[:3000]
    assert count_rows(app, Attachment) == 0
    assert stored_files(uploads) == []


# --- the bounded child itself ----------------------------------------------------------------

SMALL = bounded.Bounds(cpu_seconds=1, memory_bytes=64 * 1024 * 1024, wall_seconds=30)


@pytest.mark.parametrize(
    ("work", "args", "bounds", "limit"),
    [
        (burn_cpu, (), SMALL, "time"),  # RLIMIT_CPU: the kernel stops it
        (allocate, (512,), SMALL, "memory"),  # RLIMIT_AS: the allocation fails
        (hang, (), bounded.Bounds(1, 64 * 1024 * 1024, wall_seconds=1), "time"),  # wall clock
        (abort, (), SMALL, "crash"),
    ],
    ids=["cpu", "memory", "wall-clock", "crash"],
)
def test_the_bounded_child_stops_work_past_its_limits(work, args, bounds, limit):
    with pytest.raises(bounded.LimitExceeded) as exceeded:
        bounded.run(work, *args, bounds=bounds)
    assert exceeded.value.limit == limit


def test_work_within_the_limits_returns_its_result_from_another_process():
    import os

    assert bounded.run(allocate, 16, bounds=SMALL) == 16 * 1024 * 1024
    assert bounded.run(bounded.child_cost_probe, bounds=SMALL) != os.getpid()


def test_a_refusal_crosses_from_the_child_still_translatable(app):
    with pytest.raises(Rejected) as refused:
        bounded.run(refuse_empty, bounds=SMALL)
    with app.test_request_context(), force_locale("id"):
        indonesian = str(refused.value.reason)
    with app.test_request_context(), force_locale("en"):
        english = str(refused.value.reason)
    assert english == "The file is empty." and indonesian != english


# --- images: the header is read before anything is decoded -------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        webp_claiming(8000, 8000, kind="VP8L"),
        webp_claiming(8000, 8000, kind="VP8 "),
        webp_claiming(60000, 60000, kind="VP8X"),
        png_claiming(8000, 8000),
        png_claiming(60000, 60000),
        jpeg_claiming(8000, 8000),
        jpeg_claiming(60000, 60000),
        png_bomb(),  # a real, valid 20000 x 20000 PNG of 380 KB
    ],
    ids=[
        "webp-lossless-8000",
        "webp-lossy-8000",
        "webp-extended-60000",
        "png-8000",
        "png-60000",
        "jpeg-8000",
        "jpeg-60000",
        "png-bomb-20000",
    ],
)
def test_a_huge_image_in_a_tiny_file_is_refused_from_its_header(
    app,
    client,
    make_user,
    uploads,
    child_runs,
    content,
):
    login_as(client, make_user())
    response = new_thread_with(client, [(content, "foto")])
    assert_refused_and_nothing_kept(app, response, uploads, TOO_MANY_PIXELS)
    assert count_rows(app, Thread) == 0
    assert child_runs == []  # refused from a few header bytes: nothing was decoded


@pytest.mark.parametrize("side", [6000, 60000])
def test_a_huge_heic_is_refused_before_its_pixels_are_decoded(
    app,
    client,
    make_user,
    uploads,
    child_runs,
    side,
):
    login_as(client, make_user())
    response = new_thread_with(client, [(heic_claiming(side, side), "IMG_0001.HEIC")])
    assert_refused_and_nothing_kept(app, response, uploads, TOO_MANY_PIXELS)
    assert child_runs == ["check_and_encode"]  # libheif reads the header in the child


@pytest.mark.parametrize(
    ("content", "size"),
    [
        (png_claiming(64, 48), (64, 48)),
        (jpeg_claiming(64, 48), (64, 48)),
        (webp_claiming(64, 48, kind="VP8L"), (64, 48)),
        (webp_claiming(64, 48, kind="VP8 "), (64, 48)),
        (webp_claiming(5, 7, kind="VP8X"), (5, 7)),
        (photo((4032, 3024)), (4032, 3024)),
        (photo((500, 400), fmt="PNG"), (500, 400)),
        (photo((500, 400), fmt="WEBP"), (500, 400)),
        (heic_claiming(64, 64), None),  # HEIC: libheif's reading, in the child
    ],
)
def test_the_header_reader_finds_the_stated_size(content, size):
    from forum.attachments.inspect import sniff_header

    assert images.declared_size(content, sniff_header(content)) == size


def test_six_huge_images_and_an_empty_reply_cost_no_file_work(
    app,
    client,
    make_user,
    make_thread,
    uploads,
    child_runs,
    monkeypatch,
):
    header_reads = []
    real_check = images.check_declared_size
    monkeypatch.setattr(
        images, "check_declared_size", lambda *a: header_reads.append(a) or real_check(*a)
    )
    thread = make_thread()
    login_as(client, make_user())
    page = f"/threads/{thread.id}"
    huge = [(webp_claiming(8000, 8000), f"foto{n}.webp") for n in range(6)]
    response = send(client, f"{page}/replies", huge, page=page, body="")
    assert response.status_code == 400
    assert "This field is required." in response.get_data(as_text=True)
    assert child_runs == [] and header_reads == []  # the text is checked first
    assert count_rows(app, Post) == 1 and stored_files(uploads) == []


# --- limits on work that only decoding can reveal ---------------------------------------------


def test_a_pdf_slow_to_draw_is_stopped_by_the_cpu_limit(
    app,
    client,
    make_user,
    uploads,
    child_runs,
    caplog,
):
    app.config["ATTACHMENT_CHECK_CPU_SECONDS"] = 1
    login_as(client, make_user())
    with caplog.at_level(logging.WARNING, logger="forum.attachments.prepare"):
        response = new_thread_with(client, [(pdf_slow_to_draw(), "laporan.pdf")])
    assert_refused_and_nothing_kept(app, response, uploads, TOO_SLOW)
    assert count_rows(app, Thread) == 0
    assert child_runs == ["check_and_encode"]
    assert "laporan.pdf refused, past the time limit" in caplog.text


def test_a_post_of_six_slow_pdfs_pays_for_one(app, client, make_user, uploads, child_runs):
    app.config["ATTACHMENT_CHECK_CPU_SECONDS"] = 1
    login_as(client, make_user())
    files = [(photo((400, 300)), "foto.jpg")] + [(pdf_slow_to_draw(), f"{n}.pdf") for n in range(6)]
    response = new_thread_with(client, files[:6])
    assert_refused_and_nothing_kept(app, response, uploads, TOO_SLOW)
    # The photo, then the first PDF stopped at its limit; the post is refused, so the
    # other four PDFs are never opened.
    assert child_runs == ["check_and_encode", "check_and_encode"]


def test_a_decompression_bomb_within_the_pixel_cap_is_stopped_by_the_memory_limit(
    app,
    client,
    make_user,
    uploads,
    caplog,
):
    app.config["ATTACHMENT_CHECK_MEMORY_MB"] = 64  # the bomb unpacks to 100 MB
    login_as(client, make_user())
    with caplog.at_level(logging.WARNING, logger="forum.attachments.prepare"):
        response = new_thread_with(client, [(png_bomb_within_cap(), "peta.png")])
    assert_refused_and_nothing_kept(app, response, uploads, TOO_BIG)
    assert "peta.png refused, past the memory limit" in caplog.text


@pytest.mark.parametrize(
    ("content", "name", "kind", "size"),
    [
        (png_bomb_within_cap(), "peta.png", "image", (1600, 1600)),
        (animated_webp(300), "animasi.webp", "image", (32, 24)),
        (pdf_of_pages(5000), "arsip.pdf", "document", None),
        (heic_claiming(64, 64), "IMG_0002.HEIC", "image", (64, 64)),  # an honest HEIC
    ],
    ids=["png-bomb-under-the-cap", "webp-300-frames", "pdf-5000-pages", "heic"],
)
def test_heavy_but_honest_files_are_handled_within_the_default_bounds(
    app,
    client,
    make_user,
    uploads,
    child_runs,
    content,
    name,
    kind,
    size,
):
    login_as(client, make_user())
    response = new_thread_with(client, [(content, name)])
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    (attachment,) = attachments_of(app)
    assert attachment.kind == kind and child_runs == ["check_and_encode"]
    if size:
        stored = Image.open(io.BytesIO((uploads / attachment.storage_key).read_bytes()))
        assert stored.size == size and getattr(stored, "n_frames", 1) == 1


# --- no lock is held while a file is checked ---------------------------------------------------


def write_from_another_connection(app, backend: str, user_id: int) -> None:
    """Take the database's write lock from a second connection, without waiting, and commit."""
    if backend == "sqlite":
        path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
        connection = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")  # "database is locked" if a writer holds it
            connection.execute(
                "UPDATE users SET display_name = 'Penulis lain' WHERE id = ?", (user_id,)
            )
            connection.execute("COMMIT")
        finally:
            connection.close()
        return
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.begin() as connection:
            # NOWAIT: fails at once if any open transaction so much as read these tables.
            connection.exec_driver_sql(
                "LOCK TABLE users, threads, posts, attachments IN ACCESS EXCLUSIVE MODE NOWAIT"
            )
            connection.execute(
                sa.update(User).where(User.id == user_id).values(stored_display_name="Penulis lain")
            )
    finally:
        engine.dispose()


def test_no_transaction_is_open_while_a_file_is_checked(
    app,
    backend,
    make_user,
    make_thread,
    uploads,
    monkeypatch,
):
    thread, author, other = make_thread(), make_user(), make_user()
    browser = client_for(app, author)
    checking, resume = threading.Event(), threading.Event()
    seen_in_transaction = []
    real_run = bounded.run

    def paused_run(function, *args, bounds):
        seen_in_transaction.append(db.session().in_transaction())
        checking.set()
        assert resume.wait(120)
        return real_run(function, *args, bounds=bounds)

    monkeypatch.setattr(bounded, "run", paused_run)
    answer = {}
    page = f"/threads/{thread.id}"

    def reply_with_a_photo():
        answer["response"] = send(
            browser, f"{page}/replies", [(photo((800, 600)), "a.jpg")], page=page, body="Fotonya"
        )

    request = threading.Thread(target=reply_with_a_photo)
    request.start()
    try:
        assert checking.wait(120), "the reply never reached the file check"
        write_from_another_connection(app, backend, other.id)
    finally:
        resume.set()
        request.join(120)
    assert seen_in_transaction == [False]
    assert answer["response"].status_code == 302
    (attachment,) = attachments_of(app)
    with app_db(app) as session:
        assert session.get(User, other.id).display_name == "Penulis lain"
        assert session.get(Post, attachment.post_id).body == "Fotonya"


def test_files_are_never_checked_after_something_was_written(app, make_user):
    user = make_user()
    with app.test_request_context(method="POST"):
        db.session.get(User, user.id).stored_display_name = "Berubah"
        with pytest.raises(RuntimeError, match="before anything is written"):
            service.end_read_transaction()
        db.session.rollback()


# --- the same under the documented gunicorn setup ----------------------------------------------


def log_in(port: int, username: str) -> tuple[bytes, str]:
    from urllib.parse import urlencode

    page = get(port, "/auth/login")
    form = urlencode({"csrf_token": token(page), "username": username, "password": PASSWORD})
    reply = post(
        port,
        "/auth/login",
        session_cookie(page),
        form.encode(),
        "application/x-www-form-urlencoded",
    )
    cookie = session_cookie(reply) if b"Set-Cookie: session=" in reply else ""
    return reply, f"{cookie}; lang=en"


def post_thread_with(port: int, cookie: str, files: list[tuple[bytes, str]]) -> bytes:
    from werkzeug.datastructures import FileStorage
    from werkzeug.datastructures import MultiDict
    from werkzeug.test import encode_multipart

    page = get(port, "/threads/new", cookie)
    if b"Set-Cookie: session=" in page:
        cookie = f"{session_cookie(page)}; lang=en"
    data = MultiDict({"csrf_token": token(page), "kind": "practice", "title": "Laporan bulanan"})
    data.add("body", "Laporan dan foto kegiatan.")
    for content, name in files:
        data.add("files", FileStorage(io.BytesIO(content), filename=name))
        data.add("captions", "")
    boundary, body = encode_multipart(data)
    return post(port, "/threads/new", cookie, body, f"multipart/form-data; boundary={boundary}")


@pytest.mark.slow  # a real gunicorn
def test_under_gunicorn_gthread_a_slow_pdf_is_refused_and_others_log_in(
    sqlite_app, tmp_path, monkeypatch
):
    from forum.auth.service import create_user

    with sqlite_app.app_context():
        create_user("pengunggah", "u@contoh.id", PASSWORD, display_name="Pengunggah")
        create_user("tamu", "t@contoh.id", PASSWORD, display_name="Tamu")
        db.session.commit()
    monkeypatch.setenv("ATTACHMENT_CHECK_CPU_SECONDS", "1")
    server, port = start_gunicorn(
        tmp_path,
        sqlite_app.config["SQLALCHEMY_DATABASE_URI"],
        ["--worker-class", "gthread", "--threads", "4"],
    )
    try:
        _, cookie = log_in(port, "pengunggah")
        answer = {}
        upload = threading.Thread(
            target=lambda: answer.setdefault(
                "reply",
                post_thread_with(
                    port, cookie, [(photo((800, 600)), "foto.jpg"), (pdf_slow_to_draw(), "l.pdf")]
                ),
            )
        )
        upload.start()
        logged_in, _ = log_in(port, "tamu")  # while the PDF is checked, most likely
        upload.join(120)
        accepted = post_thread_with(port, cookie, [(photo((800, 600)), "foto.jpg")])
    finally:
        stop(server)
    assert logged_in.startswith((b"HTTP/1.1 302", b"HTTP/1.0 302")), logged_in[:300]
    assert answer["reply"].startswith((b"HTTP/1.1 400", b"HTTP/1.0 400"))
    assert TOO_SLOW.encode() in answer["reply"]
    assert accepted.startswith((b"HTTP/1.1 302", b"HTTP/1.0 302")), accepted[:300]
    assert len(list((tmp_path / "uploads").rglob("*.*"))) == 2  # the photo and its thumbnail
