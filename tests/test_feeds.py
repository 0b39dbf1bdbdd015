"""Atom feeds: valid Atom with the required elements, absolute links under the configured
base URL, only what a visitor may read, linked from the matching pages."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from forum.models import utcnow
from tests.helpers import client_for

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://serambi.contoh.id"


@pytest.fixture
def feeds(app):
    app.config["BASE_URL"] = BASE  # never the Host header of the request
    return app.test_client()


def parse(response) -> ET.Element:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.get_data())
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{name}").text, name
    assert root.find(f"{ATOM}author/{ATOM}name").text
    links = root.findall(f"{ATOM}link")
    assert {link.get("rel") for link in links} >= {"self", "alternate"}
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert entry.find(f"{ATOM}{name}").text, name
        assert entry.find(f"{ATOM}author/{ATOM}name").text
        assert entry.find(f"{ATOM}link").get("href").startswith(BASE + "/")
    for element in root.iter():
        for attribute in ("href", "uri"):
            if element.get(attribute):
                assert element.get(attribute).startswith(BASE), element.get(attribute)
        if element.tag in (f"{ATOM}id", f"{ATOM}uri"):
            assert element.text.startswith(BASE), element.text
    return root


def titles(root) -> list[str]:
    return [entry.find(f"{ATOM}title").text for entry in root.findall(f"{ATOM}entry")]


def test_the_latest_feed_has_public_threads_only(feeds, make_thread):
    make_thread(title="Pojok baca di balai desa", body="Isi dengan <b>tebal</b> & lainnya")
    make_thread(title="Disembunyikan fasilitator", hidden=True)
    make_thread(title="Ditarik penulisnya", withdrawn_at=utcnow())
    response = feeds.get("/feeds/latest.atom", headers={"Host": "127.0.0.1:8000"})
    root = parse(response)
    assert [t.split(": ", 1)[1] for t in titles(root)] == ["Pojok baca di balai desa"]
    content = root.find(f"{ATOM}entry/{ATOM}content")
    assert content.get("type") == "html" and "Isi dengan" in content.text
    assert "127.0.0.1" not in response.get_data(as_text=True)


def test_kind_feeds(feeds, make_thread):
    make_thread(title="Kelas menulis", kind="practice")
    make_thread(title="Buku rusak", kind="challenge")
    assert [t.split(": ", 1)[1] for t in titles(parse(feeds.get("/feeds/practices.atom")))] == [
        "Kelas menulis"
    ]
    assert [t.split(": ", 1)[1] for t in titles(parse(feeds.get("/feeds/challenges.atom")))] == [
        "Buku rusak"
    ]


def test_tag_and_region_feeds(feeds, make_thread, make_user):
    bandung = make_user(regency="kota-bandung", province="jawa-barat")
    make_thread(title="Dongeng sore", tags=("dongeng",))
    make_thread(bandung, title="Perpustakaan kota", tags=("kota",))
    assert len(titles(parse(feeds.get("/feeds/tags/dongeng.atom")))) == 1
    assert titles(parse(feeds.get("/feeds/tags/belum-ada.atom"))) == []
    assert feeds.get("/feeds/tags/Bukan Tag.atom").status_code == 404
    one = titles(parse(feeds.get("/feeds/regions/kota-bandung.atom")))
    assert [t.split(": ", 1)[1] for t in one] == ["Perpustakaan kota"]
    both = titles(parse(feeds.get("/feeds/regions/provinsi-jawa-barat.atom")))
    assert len(both) == 2
    assert feeds.get("/feeds/regions/atlantis.atom").status_code == 404
    assert feeds.get("/feeds/regions/provinsi-atlantis.atom").status_code == 404


def test_a_threads_feed_has_its_visible_replies(feeds, make_thread, make_reply):
    thread = make_thread(title="Pojok baca")
    make_reply(thread, body="Balasan terlihat")
    make_reply(thread, body="Balasan disembunyikan", hidden=True)
    make_reply(thread, body="Balasan ditarik", withdrawn_at=utcnow())
    root = parse(feeds.get(f"/threads/{thread.id}/feed.atom"))
    bodies = [e.find(f"{ATOM}content").text for e in root.findall(f"{ATOM}entry")]
    assert len(bodies) == 1 and "Balasan terlihat" in bodies[0]
    hidden = make_thread(title="Tersembunyi", hidden=True)
    assert feeds.get(f"/threads/{hidden.id}/feed.atom").status_code == 404


def test_a_logged_in_facilitator_gets_the_visitors_feed(app, feeds, make_thread, facilitator):
    make_thread(title="Disembunyikan fasilitator", hidden=True)
    client = client_for(app, facilitator)
    assert titles(parse(client.get("/feeds/latest.atom"))) == []


def test_pages_link_their_feeds(app, feeds, make_thread):
    client = client_for(app)
    thread = make_thread()

    def alternate(url):
        html = client.get(url).get_data(as_text=True)
        found = re.search(
            r'<link rel="alternate" type="application/atom\+xml"[^>]*href="([^"]+)"', html
        )
        return found and found.group(1)

    assert alternate("/").endswith("/feeds/latest.atom")
    assert alternate("/threads?kind=challenge").endswith("/feeds/challenges.atom")
    assert alternate("/threads?tag=literasi-anak").endswith("/feeds/tags/literasi-anak.atom")
    assert alternate("/threads?region=purwakarta").endswith("/feeds/regions/purwakarta.atom")
    assert alternate(f"/threads/{thread.id}").endswith(f"/threads/{thread.id}/feed.atom")
