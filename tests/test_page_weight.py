"""Light pages for slow mobile data: the weight budget, measured on real pages."""

from __future__ import annotations

import gzip
import re

BUDGET = 60 * 1024  # HTML + CSS + JS of a thread page with 20 replies, uncompressed


def page_weight(client, path: str) -> int:
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data()
    total = len(html)
    for asset in re.findall(rb'(?:href|src)="(/assets/[^"]+\.(?:css|js))"', html):
        with client.get(asset.decode()) as asset_response:
            total += len(asset_response.data)
    return total


def test_thread_with_20_replies_fits_the_budget(client, make_user, make_thread, make_reply):
    authors = [make_user() for _ in range(5)]
    body = (
        "Kami mencoba **pojok baca** di balai desa setiap Sabtu pagi. Anak-anak datang bersama "
        "orang tua, lalu relawan membacakan dongeng. Setelah tiga bulan, pengunjung naik dua kali "
        "lipat dan ibu-ibu PKK ikut membantu menyiapkan tikar dan camilan."
    )
    thread = make_thread(authors[0], body=body * 2)
    for n in range(20):
        make_reply(thread, authors[n % 5], body=body)
    weight = page_weight(client, f"/threads/{thread.id}")
    assert weight <= BUDGET, f"{weight} bytes"


def test_responses_are_compressed_for_clients_that_accept_it(client, make_thread):
    thread = make_thread()
    response = client.get(f"/threads/{thread.id}", headers={"Accept-Encoding": "br, gzip"})
    assert response.headers["Content-Encoding"] in {"br", "gzip"}


OFFLINE_BUDGET = 15 * 1024  # what reading and writing offline adds to a first visit (issue 23)


def test_reading_offline_adds_at_most_15_kb_to_a_first_visit(client):
    """offline.js, the service worker it registers, the manifest and icon the browser reads,
    and the offline page offline.js keeps: each downloaded once, on the first visit.

    Counted uncompressed for the scripts alone, and gzipped (the server sends br or gzip
    to every browser) for all of it.
    """
    home = client.get("/").get_data(as_text=True)
    script = re.search(r'src="(/assets/offline\.[0-9a-f]+\.js)"', home).group(1)
    icon = re.search(r'rel="icon" type="image/png" href="([^"]+)"', home).group(1)
    scripts = [script, "/service-worker.js"]

    def body(path: str) -> bytes:
        with client.get(path) as response:
            assert response.status_code == 200, path
            return response.get_data()

    uncompressed = sum(len(body(path)) for path in scripts)
    texts = [*scripts, "/manifest.webmanifest", "/offline"]
    served = sum(len(gzip.compress(body(path))) for path in texts) + len(body(icon))
    assert uncompressed <= OFFLINE_BUDGET, f"{uncompressed} bytes"
    assert served <= OFFLINE_BUDGET, f"{served} bytes"
