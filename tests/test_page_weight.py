"""Light pages for slow mobile data: the weight budget, measured on real pages."""

from __future__ import annotations

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
