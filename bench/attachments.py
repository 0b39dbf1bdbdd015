"""Attachments: the first-view weight of a thread with 6 photos, and upload-to-thumbnail time.

1. Page weight: six 12-megapixel photo-like JPEGs are posted through the real
   form (in-process, SQLite scratch database); the thread page is then weighed as
   a phone loads it the first time: HTML, CSS, JS and every thumbnail.
2. Upload to thumbnail: the service's whole check of one 12-megapixel JPEG
   (sniff, decode, orientation, resize to 1600 px, JPEG encode, 400 px WebP
   thumbnail), median of several runs, against a baseline measured in the same
   run: Pillow only decoding the same JPEG at full size. The ratio is what to
   compare between machines.

    .venv/bin/python bench/attachments.py [--runs 7]
"""

from __future__ import annotations

import argparse
import io
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402

from forum import create_app  # noqa: E402
from forum.config import TestConfig  # noqa: E402
from forum.extensions import db  # noqa: E402
from forum.extensions import search  # noqa: E402
from tests.attachment_samples import photo  # noqa: E402

TWELVE_MP = (4000, 3000)


def build_app(workdir: str):
    config = type(
        "BenchConfig",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/bench.sqlite",
            "SEARCH_INDEX_DIR": f"{workdir}/index",
            "UPLOADS_DIR": f"{workdir}/uploads",
        },
    )
    app = create_app(config)
    with app.app_context():
        from forum.auth.service import create_user

        db.create_all()
        search.rebuild([], 0)
        create_user("pustakawan", "p@contoh.id", "kata-sandi-rahasia", display_name="Pustakawan")
        db.session.commit()
    return app


def page_weight(app, photos: list[bytes]) -> dict[str, int]:
    from tests.test_attachments import send
    from tests.test_attachments_weight import first_view_weight

    client = app.test_client()
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"',
        client.get("/auth/login").get_data(as_text=True),
    ).group(1)
    client.post(
        "/auth/login",
        data={"username": "pustakawan", "password": "kata-sandi-rahasia", "csrf_token": token},
    )
    response = send(
        client,
        "/threads/new",
        [(data, f"IMG_{n}.jpg") for n, data in enumerate(photos)],
        page="/threads/new",
        kind="practice",
        title="Enam foto kegiatan pojok baca",
        body="Foto-foto kegiatan Sabtu lalu.",
        tags="pojok-baca",
    )
    assert response.status_code == 302, response.status_code
    total, thumbs = first_view_weight(client, response.location)
    uploads = sum(len(data) for data in photos)
    return {"total": total, "thumbs": thumbs, "uploaded": uploads}


def median_seconds(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def upload_to_thumbnail(app, data: bytes, runs: int) -> dict[str, float]:
    from forum.attachments import service

    def decode_only():
        with Image.open(io.BytesIO(data)) as image:
            image.load()

    with app.app_context():
        baseline = median_seconds(decode_only, runs)
        ours = median_seconds(lambda: service.prepare(data, "IMG_0001.jpg"), runs)
    return {"baseline": baseline, "ours": ours, "ratio": ours / baseline}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    # Phones send 3-5 MB per 12-megapixel photo; six of them stay under the 25 MB post limit.
    photos = [photo(TWELVE_MP, seed=n, detail=8) for n in range(6)]
    with tempfile.TemporaryDirectory() as workdir:
        app = build_app(workdir)
        weight = page_weight(app, photos)
        timing = upload_to_thumbnail(app, photos[0], args.runs)
    print(f"6 photos uploaded: {weight['uploaded'] / 1e6:.1f} MB")
    print(
        f"thread page, first view: {weight['total'] / 1024:.1f} KB "
        f"(HTML+CSS+JS+{weight['thumbs']} thumbnails; budget 300 KB)"
    )
    print(
        f"12 MP JPEG upload to thumbnail: {timing['ours'] * 1000:.0f} ms median of {args.runs}; "
        f"Pillow full decode alone {timing['baseline'] * 1000:.0f} ms; "
        f"ratio {timing['ratio']:.2f}"
    )


if __name__ == "__main__":
    main()
