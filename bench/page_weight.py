"""Page weight of the main pages: bytes a phone downloads, uncompressed and compressed.

Builds a scratch database with the demo community plus a thread of 20 replies,
then measures each page's HTML plus the CSS and JS it links (uncompressed, the
budget the tests enforce), and the HTML as sent with gzip and with brotli.
Sizes are deterministic for a given commit, so one run is enough.

    .venv/bin/python bench/page_weight.py
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forum import create_app  # noqa: E402
from forum.config import TestConfig  # noqa: E402
from forum.extensions import db  # noqa: E402
from forum.extensions import search  # noqa: E402

REPLY = (
    "Kami mencoba **pojok baca** di balai desa setiap Sabtu pagi. Anak-anak datang bersama "
    "orang tua, lalu relawan membacakan dongeng. Setelah tiga bulan, pengunjung naik dua kali "
    "lipat dan ibu-ibu PKK ikut membantu menyiapkan tikar dan camilan."
)


def build_app(workdir: str):
    config = type(
        "BenchConfig",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/weight.sqlite",
            "SEARCH_INDEX_DIR": f"{workdir}/index",
        },
    )
    app = create_app(config)
    with app.app_context():
        from forum.demo import load_demo
        from forum.models import User
        from forum.threads import service

        db.create_all()
        search.rebuild([], 0)
        load_demo()
        members = list(db.session.scalars(db.select(User)))
        thread = service.create_thread(
            members[1], "practice", "Utas dengan dua puluh balasan", REPLY * 2, ["pojok-baca"]
        )
        for n in range(20):
            service.create_reply(members[n % len(members)], thread, REPLY)
        db.session.commit()
        return app, thread.id


def weigh(client, path: str) -> dict[str, int]:
    html = client.get(path).get_data()
    assets = 0
    for asset in re.findall(rb'(?:href|src)="(/assets/[^"]+\.(?:css|js))"', html):
        with client.get(asset.decode()) as response:
            assets += len(response.data)
    sizes = {"html": len(html), "html+css+js": len(html) + assets}
    for encoding in ("gzip", "br"):
        with client.get(path, headers={"Accept-Encoding": encoding}) as response:
            sizes[f"html {encoding}"] = len(response.data)
    return sizes


def main() -> None:
    with tempfile.TemporaryDirectory() as workdir:
        app, thread_id = build_app(workdir)
        client = app.test_client()
        pages = [
            ("home", "/"),
            ("thread with 20 replies", f"/threads/{thread_id}"),
            ("thread list", "/threads"),
            ("search results", "/search?q=pelatihan+relawan"),
        ]
        print("| page | HTML | HTML+CSS+JS | HTML gzip | HTML brotli |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for name, path in pages:
            s = weigh(client, path)
            print(
                f"| {name} | {s['html'] / 1024:.1f} KB | {s['html+css+js'] / 1024:.1f} KB "
                f"| {s['html gzip'] / 1024:.1f} KB | {s['html br'] / 1024:.1f} KB |"
            )


if __name__ == "__main__":
    main()
