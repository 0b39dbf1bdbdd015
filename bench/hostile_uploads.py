"""Hostile uploads against normal ones of the same size, and what others feel meanwhile.

1. Checking one file (``service.prepare``: header checks, then the bounded child):
   each hostile file from issue 14, built small, against an honest file of about
   the same number of bytes, in one run; median and p95 of ``--runs`` runs, and the
   ratio of the medians. Every hostile file ends refused or within its bounds.
2. The cost of the bounded child alone (a fork from the forkserver and back) and
   of a normal 12 MP phone photo.
3. CPU seconds that honest heavy photos need (the same work in-process): what the
   per-file CPU limit must leave room for.
4. While one member's slow PDF is being checked (a real POST, SQLite scratch
   database), another member posts replies: their latency against replies posted
   with nothing else going on. Before the fix those replies waited for the
   database's write lock and failed with "database is locked".

    .venv/bin/python bench/hostile_uploads.py [--runs 7]

Run it from the project folder (the forkserver imports ``forum`` from there).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_babel import force_locale  # noqa: E402

from bench.attachments import build_app  # noqa: E402
from tests.attachment_samples import animated_webp  # noqa: E402
from tests.attachment_samples import pdf  # noqa: E402
from tests.attachment_samples import pdf_of_pages  # noqa: E402
from tests.attachment_samples import pdf_slow_to_draw  # noqa: E402
from tests.attachment_samples import photo  # noqa: E402
from tests.attachment_samples import png_bomb  # noqa: E402
from tests.attachment_samples import png_bomb_within_cap  # noqa: E402
from tests.attachment_samples import webp_claiming  # noqa: E402


def sized_pdf(size: int) -> bytes:
    """An honest one-page text PDF padded (with more text) to about ``size`` bytes."""
    words = "Laporan kegiatan pojok baca desa bulan ini "
    text = words * max(1, (size - 600) // len(words))
    return pdf(text[: max(10, size - 600)])


def sized_png(size: int) -> bytes:
    """A photo-like PNG of about ``size`` bytes."""
    side = 64
    while True:
        data = photo((side, side * 3 // 4), fmt="PNG", gps=False, detail=4)
        if len(data) >= size or side > 4000:
            return data
        side = int(side * 1.25)


def sized_webp(size: int) -> bytes:
    side = 16
    while True:
        data = photo((side, side * 3 // 4), fmt="WEBP", gps=False, detail=2)
        if len(data) >= size or side > 4000:
            return data
        side = int(side * 1.25)


def timed(data: bytes, name: str, runs: int) -> tuple[list[float], str]:
    """``service.prepare`` of one file, ``runs`` times: the times and the outcome."""
    from forum.attachments import service
    from forum.attachments.inspect import Rejected

    times, outcome = [], ""
    for _ in range(runs):
        start = time.perf_counter()
        try:
            prepared = service.prepare(data, name)
            outcome = f"kept ({prepared.kind}, {prepared.width or '-'}x{prepared.height or '-'})"
        except Rejected as refusal:
            outcome = f"refused: {refusal.reason}"
        times.append(time.perf_counter() - start)
    return times, outcome


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def file_checks(app, runs: int) -> list[tuple]:
    slow = pdf_slow_to_draw()
    bomb = png_bomb()
    bomb_in_cap = png_bomb_within_cap()
    huge_webp = webp_claiming(8000, 8000)
    frames = animated_webp(300)
    pages = pdf_of_pages(5000)
    cases = [
        ("PDF, one stream stroking 500,000 lines", slow, "slow.pdf", sized_pdf(len(slow))),
        ("PDF of 5,000 pages", pages, "arsip.pdf", sized_pdf(len(pages))),
        ("PNG bomb, 20000x20000 (over the cap)", bomb, "bom.png", sized_png(len(bomb))),
        (
            "PNG bomb, 5000x5000 RGBA (under the cap)",
            bomb_in_cap,
            "bom.png",
            sized_png(len(bomb_in_cap)),
        ),
        ("WebP header claiming 8000x8000", huge_webp, "x.webp", sized_webp(len(huge_webp))),
        ("animated WebP, 300 frames", frames, "a.webp", sized_webp(len(frames))),
    ]
    rows = []
    # Refusals are lazy strings, read in a request (in English here).
    with app.test_request_context(), force_locale("en"):
        for label, hostile, name, normal in cases:
            normal_name = "normal" + name[name.rindex(".") :]
            hostile_times, outcome = timed(hostile, name, runs)
            normal_times, normal_outcome = timed(normal, normal_name, runs)
            rows.append(
                (
                    label,
                    len(hostile),
                    hostile_times,
                    outcome,
                    len(normal),
                    normal_times,
                    normal_outcome,
                )
            )
    return rows


def child_and_photo(app, runs: int) -> dict:
    from forum.attachments import bounded
    from forum.attachments import service

    bounds = bounded.Bounds(3, 512 * 1024 * 1024, 15)
    bounded.run(bounded.child_cost_probe, bounds=bounds)  # the forkserver starts once
    child = []
    for _ in range(max(runs, 15)):
        start = time.perf_counter()
        bounded.run(bounded.child_cost_probe, bounds=bounds)
        child.append(time.perf_counter() - start)
    phone = photo((4000, 3000), seed=2)
    with app.test_request_context():
        bounded_times, _ = timed(phone, "IMG_0001.jpg", runs)
        # The same work without the child, as before: the cost the bound adds.
        from forum.attachments.prepare import check_and_encode

        rules = service.rules()
        inline = []
        for _ in range(runs):
            start = time.perf_counter()
            check_and_encode(phone, "IMG_0001.jpg", "", rules)
            inline.append(time.perf_counter() - start)
    return {"child": child, "photo": bounded_times, "inline": inline, "photo_bytes": len(phone)}


def honest_cpu(app) -> list[tuple[str, int, float]]:
    """CPU seconds of the whole check of honest heavy files, in this process."""
    import io

    from PIL import Image

    from forum.attachments import service
    from forum.attachments.inspect import heic_supported
    from forum.attachments.prepare import check_and_encode

    def heic(size):
        out = io.BytesIO()
        Image.open(io.BytesIO(photo(size))).save(out, "HEIF", quality=80)
        return out.getvalue()

    cases = [
        ("12 MP JPEG", photo((4000, 3000))),
        ("24 MP JPEG (recent iPhone size)", photo((5712, 4284))),
        ("12 MP PNG, 9.6 MB", photo((4000, 3000), fmt="PNG", detail=32)),
        ("24 MP WebP", photo((5712, 4284), fmt="WEBP", detail=32)),
        ("25 MP RGBA PNG bomb (under the cap)", png_bomb_within_cap()),
    ]
    if heic_supported():
        cases.append(("24 MP HEIC", heic((5712, 4284))))
    rows = []
    with app.test_request_context():
        rules = service.rules()
        for label, data in cases:
            start = time.process_time()
            check_and_encode(data, "x", "", rules)
            rows.append((label, len(data), time.process_time() - start))
    return rows


def replies_meanwhile(workdir: str, replies: int) -> dict:
    """Another member's reply latency, alone and while a slow PDF is checked."""
    from forum.auth.service import create_user
    from forum.extensions import db
    from forum.threads import service as threads
    from tests.test_attachments import send

    app = build_app(workdir)
    with app.app_context():
        other = create_user("penulis2", "q@contoh.id", "kata-sandi-rahasia", display_name="Dua")
        author = db.session.get(type(other), 1)
        thread = threads.create_thread(author, "challenge", "Pojok baca ramai", "isi", [])
        db.session.commit()
        thread_id = thread.id

    def browser(username):
        from tests.conftest import csrf_token

        client = app.test_client()
        client.post(
            "/auth/login",
            data={
                "username": username,
                "password": "kata-sandi-rahasia",
                "csrf_token": csrf_token(client, "/auth/login"),
            },
        )
        return client

    page = f"/threads/{thread_id}"
    uploader, replier = browser("pustakawan"), browser("penulis2")

    def reply_times(count):
        times = []
        for n in range(count):
            start = time.perf_counter()
            response = send(replier, f"{page}/replies", [], page=page, body=f"Balasan {n}")
            times.append(time.perf_counter() - start)
            assert response.status_code == 302, response.status_code
        return times

    alone = reply_times(replies)
    started = threading.Event()
    outcome = {}

    def upload():
        started.set()
        start = time.perf_counter()
        response = send(
            uploader, f"{page}/replies", [(pdf_slow_to_draw(), "slow.pdf")], page=page, body="PDF"
        )
        outcome["status"], outcome["seconds"] = response.status_code, time.perf_counter() - start

    worker = threading.Thread(target=upload)
    worker.start()
    started.wait()
    time.sleep(0.5)  # let the upload reach its check (the bench may wait; tests never do)
    meanwhile = reply_times(replies)
    worker.join()
    return {"alone": alone, "meanwhile": meanwhile, **outcome}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        app = build_app(workdir)
        rows = file_checks(app, args.runs)
        costs = child_and_photo(app, args.runs)
        cpu = honest_cpu(app)
    with tempfile.TemporaryDirectory() as workdir:
        lock = replies_meanwhile(workdir, replies=max(args.runs, 5))

    print(f"## Checking one file (ms, median / p95 of {args.runs}; ratio of medians)\n")
    print("| hostile file | bytes | hostile | outcome | normal file bytes | normal | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for label, size, times, outcome, normal_size, normal_times, _ in rows:
        ratio = statistics.median(times) / statistics.median(normal_times)
        print(
            f"| {label} | {size:,} | {ms(statistics.median(times))} / {ms(p95(times))} | "
            f"{outcome} | {normal_size:,} | {ms(statistics.median(normal_times))} / "
            f"{ms(p95(normal_times))} | {ratio:.1f}x |"
        )
    print()
    child, phone, inline = costs["child"], costs["photo"], costs["inline"]
    print(
        f"bounded child alone (fork from the forkserver, answer, exit): "
        f"{ms(statistics.median(child))} / {ms(p95(child))} ms"
    )
    print(
        f"12 MP phone JPEG ({costs['photo_bytes'] / 1e6:.1f} MB): bounded "
        f"{ms(statistics.median(phone))} / {ms(p95(phone))} ms; same work in-process "
        f"{ms(statistics.median(inline))} / {ms(p95(inline))} ms"
    )
    print()
    print("| honest heavy file | bytes | CPU s |")
    print("| --- | --- | --- |")
    for label, size, seconds in cpu:
        print(f"| {label} | {size:,} | {seconds:.2f} |")
    print()
    alone, meanwhile = lock["alone"], lock["meanwhile"]
    print(
        f"another member's reply, alone: {ms(statistics.median(alone))} / {ms(p95(alone))} ms; "
        f"while the slow PDF is checked: {ms(statistics.median(meanwhile))} / "
        f"{ms(p95(meanwhile))} ms (all {len(meanwhile)} saved); the PDF's own request: "
        f"{lock['status']} after {lock['seconds']:.1f} s"
    )


if __name__ == "__main__":
    main()
