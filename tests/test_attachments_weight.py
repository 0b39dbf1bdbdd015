"""A thread with six phone photos stays light on first view: under 300 KB transferred."""

from __future__ import annotations

import re

from tests.attachment_helpers import THREAD_FIELDS
from tests.attachment_helpers import send
from tests.attachment_helpers import uploads  # noqa: F401 - the fixture
from tests.attachment_samples import photo
from tests.helpers import login_as

BUDGET = 300 * 1024  # HTML, CSS, JS and every thumbnail, as a phone downloads them


def first_view_weight(client, path: str) -> tuple[int, int]:
    """Bytes of the page and everything it loads (all thumbnails, lazy or not); and the count."""
    with client.get(path) as response:
        assert response.status_code == 200
        html = response.get_data()
    total = len(html)
    linked = re.findall(rb'(?:href|src)="(/(?:assets|attachments)/[^"]+)"', html)
    loaded = [url for url in linked if url.startswith(b"/assets/") or url.endswith(b"/thumb")]
    for url in set(loaded):
        with client.get(url.decode()) as asset:
            assert asset.status_code == 200
            total += len(asset.get_data())
    return total, sum(url.endswith(b"/thumb") for url in set(loaded))


def test_a_thread_with_six_photos_fits_the_budget(client, make_user, uploads):  # noqa: F811
    login_as(client, make_user())
    # Busy photo-like images (noise every 4 pixels survives into the thumbnails: a worse
    # case for compression than most real photos).
    files = [(photo((2400, 1800), seed=n, detail=4), f"IMG_{n}.jpg") for n in range(6)]
    response = send(client, "/threads/new", files, page="/threads/new", **THREAD_FIELDS)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    weight, thumbs = first_view_weight(client, response.location)
    assert thumbs == 6
    assert weight < BUDGET, f"{weight} bytes"
