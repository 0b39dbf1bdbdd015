"""Benchmark the book of good practices ("Kumpulan Praktik Baik") with 200 practices and photos.

    .venv/bin/python bench/compilation.py --practices 200 --photos 2 --runs 7

Builds a scratch SQLite forum through the services (practices with every report
section filled in, a third of them verified) and attaches ``--photos`` stored
photos to each opening post (distinct files, 400 px WebP thumbnails as uploads
make them). Then, as a logged-in facilitator with Flask's test client and the
in-request limit lifted, times ``GET /practices/compilation`` as HTML and as PDF
for the whole set and for smaller sets (to choose the in-request limit), next
to two baselines measured in the same run: a bare Flask page and the practices
list (``/threads?kind=practice``). The file a background job writes (HTML with
the photos inside) is timed too. Prints medians, p95 and sizes;
bench/RESULTS.md holds the latest figures.
"""

from __future__ import annotations

import argparse
import io
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forum import create_app  # noqa: E402
from forum.attachments.models import Attachment  # noqa: E402
from forum.attachments.storage import get_storage  # noqa: E402
from forum.attachments.storage import new_key  # noqa: E402
from forum.auth.service import create_user  # noqa: E402
from forum.config import TestConfig  # noqa: E402
from forum.extensions import db  # noqa: E402
from forum.libraries import LibraryDetails  # noqa: E402
from forum.models import User  # noqa: E402
from forum.practices import book  # noqa: E402
from forum.practices import compilation  # noqa: E402
from forum.practices import service as practices  # noqa: E402
from forum.practices.compilation import Selection  # noqa: E402
from forum.threads import service as threads  # noqa: E402

REGENCIES = (
    ("purwakarta", "jawa-barat"),
    ("banyumas", "jawa-tengah"),
    ("lombok-timur", "nusa-tenggara-barat"),
    ("gunungkidul", "di-yogyakarta"),
    ("maros", "sulawesi-selatan"),
)
WORDS = (
    "perpustakaan desa warga anak kegiatan membaca buku relawan pelatihan pojok baca "
    "literasi dongeng kelompok tani ibu PKK posyandu lansia karang taruna iPusnas"
).split()


def sentence(rng: random.Random, words: int = 14) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def paragraph(rng: random.Random, sentences: int = 4) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def thumbnail(rng: random.Random) -> tuple[bytes, int, int]:
    """A 400 x 300 photo-like WebP thumbnail (noise, smoothed), as uploads store them."""
    small = Image.frombytes("RGB", (50, 38), rng.randbytes(50 * 38 * 3))
    image = small.resize((400, 300), Image.Resampling.BICUBIC)
    out = io.BytesIO()
    image.save(out, "WEBP", quality=80)
    return out.getvalue(), 400, 300


def generate(count: int, photos: int, seed: int = 19) -> None:
    rng = random.Random(seed)
    authors = []
    for n, (regency, province) in enumerate(REGENCIES * 2, start=1):
        authors.append(
            create_user(
                f"pustakawan{n}",
                f"p{n}@contoh.id",
                "serambi-bench",
                display_name=f"Pustakawan {n}",
                library=LibraryDetails(
                    f"Perpustakaan Desa {n}", f"Desa {n}", "Kec", regency, province
                ),
            )
        )
    fani = create_user(
        "fani", "fani@contoh.id", "serambi-bench", display_name="Fani", role="facilitator"
    )
    db.session.commit()
    storage = get_storage()
    for n in range(count):
        sections = {
            "context": paragraph(rng),
            "activities": "\n".join(f"- {sentence(rng, 8)}" for _ in range(4)),
            "impact": paragraph(rng, 3),
            "resources": paragraph(rng, 2),
            "participants": rng.randint(10, 120),
            "tips": paragraph(rng, 2),
        }
        thread = threads.create_thread(
            authors[n % len(authors)],
            "practice",
            f"Praktik {n + 1}: {sentence(rng, 5)[:-1]}",
            "\n\n".join(paragraph(rng) for _ in range(3)),
            ["literasi"],
            sections=sections,
        )
        db.session.flush()
        for k in range(photos):
            data, width, height = thumbnail(rng)
            original, thumb = new_key("jpg"), new_key("webp")
            storage.save(original, data)
            storage.save(thumb, data)
            db.session.add(
                Attachment(
                    post_id=thread.opening_post.id,
                    uploader_id=thread.author_id,
                    kind="image",
                    content_type="image/jpeg",
                    name=f"foto-{n}-{k}.jpg",
                    storage_key=original,
                    thumb_key=thumb,
                    size=len(data),
                    width=width,
                    height=height,
                    thumb_width=width,
                    thumb_height=height,
                    caption=sentence(rng, 5),
                    position=k,
                )
            )
        if n % 3 == 0:
            practices.verify(fani, thread, paragraph(rng, 2))
        db.session.commit()


def timed(client, path: str, runs: int) -> tuple[list[float], int]:
    """Wall times (ms) of ``runs`` GETs after one warm-up, and the response's size."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    size = len(response.get_data())
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(path)
        response.get_data()
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
    return times, size


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[-1] if len(times) > 1 else times[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practices", type=int, default=200)
    parser.add_argument("--photos", type=int, default=2, help="photos per practice")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="serambi-bench-"))
    config = type(
        "BenchConfig",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'serambi.sqlite'}",
            "SEARCH_INDEX_DIR": str(workdir / "search_index"),
            "UPLOADS_DIR": str(workdir / "uploads"),
        },
    )
    app = create_app(config)
    for limits in (compilation.INLINE_MAX_PRACTICES, compilation.INLINE_MAX_PHOTOS):
        limits.update(html=10**9, pdf=10**9)  # time every size inside the request
    try:
        with app.app_context():
            db.create_all()
            began = time.perf_counter()
            generate(args.practices, args.photos)
            print(f"generated {args.practices} practices in {time.perf_counter() - began:.1f} s")
            facilitator = db.session.scalar(sa.select(User).where(User.username == "fani"))
            session_id = facilitator.get_id()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True

        bare = Flask("bare")
        bare.add_url_rule("/", "page", lambda: "<p>ok</p>")
        rows = [("bare Flask page (baseline)", *timed(bare.test_client(), "/", args.runs))]
        rows.append(
            ("practices list (baseline)", *timed(client, "/threads?kind=practice", args.runs))
        )
        for label, query in (
            (f"HTML page, {args.practices} practices", "region="),
            (f"PDF, {args.practices} practices", "region=&format=pdf"),
            ("HTML page, one kabupaten", "region=purwakarta"),
            ("PDF, one kabupaten", "region=purwakarta&format=pdf"),
            ("HTML page, verified only", "region=&verified=1"),
            ("PDF, verified only", "region=&verified=1&format=pdf"),
        ):
            rows.append((label, *timed(client, f"/practices/compilation?{query}", args.runs)))
        with app.test_request_context("/"):
            selection = Selection()
            times = []
            for _ in range(max(3, args.runs // 2)):
                began = time.perf_counter()
                data = book.make(selection, "html", inline_photos=True)
                times.append((time.perf_counter() - began) * 1000)
            rows.append((f"HTML file (photos inside), {args.practices}", times, len(data)))

        baseline = statistics.median(rows[0][1])
        print(f"\n{args.runs} runs each; photos per practice: {args.photos}")
        print(f"{'':40} {'median ms':>10} {'p95 ms':>9} {'size':>10} {'x bare':>8}")
        for label, times, size in rows:
            median = statistics.median(times)
            print(
                f"{label:40} {median:10.1f} {p95(times):9.1f} {size / 1024:8.0f} KB"
                f" {median / baseline:8.0f}"
            )
    finally:
        with app.app_context():
            db.engine.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
