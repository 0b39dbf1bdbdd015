"""The report sections of a best practice (and what a challenge already tried)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from forum.models import Thread
from tests.helpers import app_db
from tests.helpers import count_rows
from tests.helpers import post_form
from tests.html_safety import live_script

PRACTICE = {
    "kind": "practice",
    "title": "Kelas mendongeng untuk ibu-ibu PKK",
    "body": "Setiap Kamis sore kami mengajak ibu-ibu mendongeng.",
    "tags": "literasi keluarga",
    "context": "Anak-anak jarang dibacakan cerita di rumah.",
    "activities": "1. Mengundang kader PKK\n2. Latihan membaca nyaring",
    "impact": "Peminjaman buku anak naik dua kali lipat.",
    "resources": "Dua relawan, dana desa Rp500.000 untuk buku cerita.",
    "participants": "35",
    "tips": "Mulai dari kelompok kecil.",
}


def post_thread(client, **changes):
    return post_form(client, "/threads/new", {**PRACTICE, **changes}, page="/threads/new")


def headings(html: str) -> list[str]:
    return re.findall(r'<section class="report-section">\s*<h3>(.*?)</h3>', html)


def test_practice_report_sections_show_as_headed_sections(app, client, member):
    response = post_thread(client)
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert headings(html) == [
        "Latar belakang",
        "Kegiatan",
        "Hasil / dampak",
        "Sumber daya",
        "Peserta",
        "Tips",
    ]
    assert "<li>Mengundang kader PKK</li>" in html  # Markdown, like the body
    assert "<p>35</p>" in html
    with app_db(app) as session:
        thread = session.scalar(sa.select(Thread))
        assert (thread.participants, thread.tips) == (35, "Mulai dari kelompok kecil.")


def test_sections_left_empty_are_not_shown(client, member):
    response = post_thread(client, context="", activities="", impact="", resources="", tips="")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert headings(html) == ["Peserta"]


def test_a_challenge_keeps_what_was_tried_and_drops_practice_sections(app, client, member):
    response = post_thread(
        client,
        kind="challenge",
        title="Anak-anak tidak datang lagi",
        tried="Sudah membuat lomba mewarnai, hanya ramai seminggu.",
    )
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert headings(html) == ["Apa yang sudah dicoba"]
    with app_db(app) as session:
        thread = session.scalar(sa.select(Thread))
        assert thread.tried.startswith("Sudah membuat lomba")
        assert (thread.participants, thread.context) == (None, None)


@pytest.mark.parametrize(
    ("participants", "message"),
    [("tiga puluh", "Tulis bilangan bulat"), ("0", "Antara 1 dan"), ("-4", "Antara 1 dan")],
)
def test_a_participant_count_that_is_not_a_number_is_a_form_error(
    app, client, member, participants, message
):
    response = post_thread(client, participants=participants)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert "Peminjaman buku anak naik dua kali lipat." in html  # what was typed is kept
    assert count_rows(app, Thread) == 0


def test_words_only_in_a_section_are_found_by_search(client, member):
    post_thread(client)
    html = client.get("/search?q=kader").get_data(as_text=True)
    assert "Kelas mendongeng untuk ibu-ibu PKK" in html


def test_editing_a_section_updates_the_page_and_search(app, client, member):
    location = post_thread(client).headers["Location"]
    thread_id = int(location.rsplit("/", 1)[1])
    edit = f"/threads/{thread_id}/edit"
    form = client.get(edit).get_data(as_text=True)
    assert "Mulai dari kelompok kecil." in form  # the edit form holds the sections
    response = post_form(
        client, edit, {**PRACTICE, "tips": "Ajak kepala desa membuka acara."}, page=edit
    )
    assert response.status_code == 302
    assert "Ajak kepala desa" in client.get(location).get_data(as_text=True)
    assert "Kelas mendongeng" in client.get("/search?q=kepala+desa").get_data(as_text=True)
    assert "Kelas mendongeng" not in client.get("/search?q=kelompok+kecil").get_data(as_text=True)


def test_practices_can_be_listed_by_the_sections_they_report(client, make_thread):
    make_thread(title="Lomba baca puisi antar dusun", participants=120)
    make_thread(title="Rak buku keliling dengan sepeda")
    html = client.get("/threads?kind=practice&section=participants").get_data(as_text=True)
    assert "Lomba baca puisi antar dusun" in html
    assert "Rak buku keliling dengan sepeda" not in html
    everything = client.get("/threads?section=unknown").get_data(as_text=True)
    assert "Rak buku keliling dengan sepeda" in everything


def test_section_text_is_sanitized(client, member):
    response = post_thread(client, impact='<script>alert(1)</script><img src=x onerror="alert(2)">')
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    opening = html.split('<article class="post opening"', 1)[1].split("</article>", 1)[0]
    assert "Hasil / dampak" in opening
    assert live_script(opening) == []
