"""Sharing a thread where librarians talk (issue 16): WhatsApp, its address, link previews.

Every address in them comes from SERAMBI_BASE_URL, never from the Host header.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest

from forum.attachments.models import Attachment
from tests.attachment_helpers import attachments_of
from tests.attachment_helpers import send
from tests.attachment_helpers import uploads  # noqa: F401 - this test's uploads folder
from tests.attachment_samples import photo
from tests.helpers import app_db
from tests.helpers import login_as

BASE = "https://serambi.example.id"


@pytest.fixture
def public_base(app):
    app.config["BASE_URL"] = BASE
    # Defence in depth: even when a proxy lets a foreign Host header through
    # (no TRUSTED_HOSTS check), nothing on the page may point at it.
    app.config["TRUSTED_HOSTS"] = None
    return BASE


def open_graph(html: str) -> dict[str, str]:
    return {
        name: unescape(content)
        for name, content in re.findall(r'<meta property="(og:[a-z_]+)" content="([^"]*)"', html)
    }


def whatsapp_text(html: str) -> str:
    link = unescape(re.search(r'href="(https://wa\.me/\?text=[^"]+)"', html).group(1))
    return parse_qs(urlsplit(link).query)["text"][0]


def test_a_thread_page_offers_whatsapp_and_a_preview_built_from_the_public_address(
    app,
    client,
    make_user,
    public_base,
    uploads,  # noqa: F811
):
    author = make_user()
    login_as(client, author)
    response = send(
        client,
        "/threads/new",
        [(photo((800, 600)), "kebun.jpg"), (photo((640, 480), seed=2), "rak.jpg")],
        page="/threads/new",
        kind="practice",
        title="Kebun baca & rak di balai desa",
        body="Kami **melatih** relawan setiap [Sabtu](https://contoh.id/jadwal).\n\n- rak\n- tikar",
        tags="literasi-anak",
    )
    assert response.status_code == 302
    thread_path = urlsplit(response.location).path
    first_photo = attachments_of(app)[0]

    visitor = app.test_client()
    for host in ["localhost", "evil.example"]:
        response = visitor.get(thread_path, headers={"Host": host, "Cookie": "lang=id"})
        assert response.status_code == 200, host
        html = response.get_data(as_text=True)
        assert "evil.example" not in html

        card = open_graph(html)
        assert card["og:title"] == "Kebun baca & rak di balai desa"
        assert card["og:description"] == "Kami melatih relawan setiap Sabtu. rak tikar"
        assert card["og:url"] == f"{BASE}{thread_path}"
        assert card["og:image"] == f"{BASE}/attachments/{first_photo.id}/thumb"
        assert card["og:locale"] == "id_ID"
        assert whatsapp_text(html) == f"Kebun baca & rak di balai desa\n{BASE}{thread_path}"
        assert f'href="{BASE}{thread_path}" data-copy-link' in html  # "Salin tautan"
        assert ">Bagikan ke WhatsApp</a>" in html

    # A facilitator hides the first photo: the preview takes the next one.
    with app_db(app) as session:
        session.get(Attachment, first_photo.id).hidden = True
        session.commit()
    card = open_graph(visitor.get(thread_path).get_data(as_text=True))
    assert card["og:image"] == f"{BASE}/attachments/{first_photo.id + 1}/thumb"


def test_a_preview_without_a_photo_has_no_image_and_a_long_text_is_cut(
    app, client, make_user, make_thread, public_base
):
    thread = make_thread(title="Laporan panjang", body="kata " * 200)
    html = app.test_client().get(f"/threads/{thread.id}").get_data(as_text=True)
    card = open_graph(html)
    assert "og:image" not in card  # no photo, no image
    assert len(card["og:description"]) <= 200 and card["og:description"].endswith("kata…")
