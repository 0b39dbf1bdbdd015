"""Hostile Markdown against a normal body of the same size, and the pages that show them.

1. One render (``forum.markup.render_markdown``) of each hostile body from
   tests/hostile_markdown.py, at the 20,000-character body cap, against an
   ordinary body of the same length (paragraphs, a list, links, emphasis), in one
   run: median and p95 of ``--runs`` runs and the ratio of the medians. The same
   bodies through markdown-it without this project's limits (the renderer before
   them) show what the limits buy.
2. Pages: a reply edited 100 times with the worst body, and a thread of 21 such
   replies (issue 14: the history page ran past gunicorn's timeout, the thread
   took 6 s), read through the test client from a SQLite scratch database, against
   the same pages with normal bodies. Pages show stored HTML, so the body's cost is
   paid when it is written; the write times are reported too.

    .venv/bin/python bench/hostile_render.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import nh3  # noqa: E402
from markdown_it import MarkdownIt  # noqa: E402

from forum import markup  # noqa: E402
from forum.threads.forms import MAX_BODY  # noqa: E402
from tests.hostile_markdown import hostile_bodies  # noqa: E402

NORMAL_PARAGRAPH = (
    "Kami membuka **pojok baca** setiap Sabtu di balai desa. Relawan *mendongeng* "
    "untuk anak-anak, lalu orang tua ikut membaca. Panduan lengkap ada di "
    "[situs perpustakaan](https://perpusnas.go.id/panduan).\n\n"
    "- siapkan tikar dan rak kecil\n- ajak kader posyandu\n- catat jumlah pengunjung\n\n"
)


def normal_body(size: int = MAX_BODY) -> str:
    return (NORMAL_PARAGRAPH * (size // len(NORMAL_PARAGRAPH) + 1))[:size]


def _unbounded():
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])

    def render(text):
        return nh3.clean(
            md.render(text),
            tags=markup.ALLOWED_TAGS,
            attributes=markup.ALLOWED_ATTRIBUTES,
            url_schemes=markup.ALLOWED_URL_SCHEMES,
        )

    return render


def timed(fn, runs: int) -> tuple[float, float]:
    """Median and p95 (the slowest of fewer than 20 runs) in milliseconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95


def renders(runs: int) -> None:
    unbounded = _unbounded()
    normal = normal_body()
    base, base_p95 = timed(lambda: markup.render_markdown(normal), runs)
    old_base, old_base_p95 = timed(lambda: unbounded(normal), runs)
    print(
        f"normal body, {len(normal)} chars: {base:.1f} / {base_p95:.1f} ms "
        f"(without the limits {old_base:.1f} / {old_base_p95:.1f} ms)"
    )
    print()
    print(
        "| hostile body | chars | ms now (median / p95) | × normal "
        "| ms without the limits | × normal | HTML chars |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, body in hostile_bodies().items():
        body = body[:MAX_BODY]
        now, now_p95 = timed(lambda body=body: markup.render_markdown(body), runs)
        old, old_p95 = timed(lambda body=body: unbounded(body), runs)
        size = len(markup.render_markdown(body))
        print(
            f"| {name} | {len(body):,} | {now:.0f} / {now_p95:.0f} | {now / base:.0f}× "
            f"| {old:.0f} / {old_p95:.0f} | {old / base:.0f}× | {size:,} |"
        )


def pages(runs: int) -> None:
    from forum import create_app
    from forum.auth.service import create_user
    from forum.config import TestConfig
    from forum.extensions import db
    from forum.extensions import search
    from forum.models import Post
    from forum.models import User
    from forum.threads import service

    worst_name, worst = max(
        ((name, body[:MAX_BODY]) for name, body in hostile_bodies().items()),
        key=lambda item: timed(lambda: _unbounded()(item[1]), 1)[0],
    )
    workdir = tempfile.mkdtemp(prefix="serambi-render-")
    config = type(
        "BenchConfig",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/bench.sqlite",
            "SEARCH_INDEX_DIR": f"{workdir}/index",
        },
    )
    app = create_app(config)
    with app.app_context():
        db.create_all()
        search.rebuild([], 0)
        create_user("pustakawan", "p@contoh.id", "kata-sandi-rahasia", display_name="Pustakawan")
        db.session.commit()

    def build(body: str, variant: str):
        """A thread of 21 replies with ``body``; the first reply edited 100 times."""
        with app.app_context():
            author = db.session.scalar(db.select(User))
            thread = service.create_thread(author, "practice", f"Utas {variant}", "Pembuka", [])
            start = time.perf_counter()
            replies = [service.create_reply(author, thread, body) for _ in range(21)]
            db.session.commit()
            write_ms = (time.perf_counter() - start) * 1000 / 21
            reply = db.session.get(Post, replies[0].id)
            for n in range(100):
                service.edit_post(author, reply, f"{body[:-4]}{n:04d}")
                db.session.commit()
            return thread.id, reply.id, write_ms

    print()
    print(
        f"Pages with the worst body ({worst_name}) against a normal body, "
        "both 20,000 chars, read by a visitor:"
    )
    print()
    print("| page | worst ms (median / p95) | normal ms | ratio |")
    print("| --- | ---: | ---: | ---: |")
    hostile_ids = build(worst, "hostile")
    normal_ids = build(normal_body(), "normal")
    client = app.test_client()
    for label, url in (
        ("thread with 21 such replies", "/threads/{0}"),
        ("history of a reply edited 100 times, page 1", "/posts/{1}/history"),
        ("history, page 10", "/posts/{1}/history?page=10"),
    ):
        results = []
        for ids in (hostile_ids, normal_ids):
            page = url.format(*ids)
            assert client.get(page).status_code == 200, page
            results.append(timed(lambda page=page: client.get(page), runs))
        (worst_ms, worst_p95), (normal_ms, normal_p95) = results
        print(
            f"| {label} | {worst_ms:.0f} / {worst_p95:.0f} | {normal_ms:.0f} / {normal_p95:.0f} "
            f"| {worst_ms / normal_ms:.1f}× |"
        )
    print()
    print(
        f"Writing one reply (render and store): worst {hostile_ids[2]:.0f} ms, "
        f"normal {normal_ids[2]:.0f} ms (mean of 21)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    renders(args.runs)
    pages(args.runs)


if __name__ == "__main__":
    main()
