"""Similar threads: under every thread, and while a new one is written."""

from __future__ import annotations

import re

import pytest

from tests.helpers import login_as
from tests.helpers import post_form


def similar_titles(html: str) -> list[str]:
    if 'id="similar-heading"' not in html:
        return []
    block = html.split('id="similar-heading"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<a href="/threads/\d+">(.*?)</a>', block)


@pytest.fixture
def library_threads(make_thread):
    return {
        "dongeng": make_thread(
            title="Mendongeng untuk anak di balai desa",
            body="Relawan mendongeng setiap Sabtu, anak-anak membawa buku cerita.",
        ),
        "dongeng2": make_thread(
            title="Kelas mendongeng bersama relawan",
            body="Relawan belajar mendongeng dengan boneka tangan untuk anak-anak.",
        ),
        "pupuk": make_thread(
            title="Pelatihan pupuk organik untuk petani",
            body="Petani belajar membuat pupuk kompos dari buku pertanian.",
        ),
    }


def test_a_thread_page_suggests_similar_threads_but_not_itself(client, library_threads):
    html = client.get(f"/threads/{library_threads['dongeng'].id}").get_data(as_text=True)
    titles = similar_titles(html)
    assert titles[0] == "Kelas mendongeng bersama relawan"
    assert "Mendongeng untuk anak di balai desa" not in titles


def test_hidden_and_withdrawn_threads_are_never_suggested(client, make_thread, library_threads):
    from datetime import UTC
    from datetime import datetime

    make_thread(title="Mendongeng dengan relawan: rahasia", hidden=True)
    make_thread(
        title="Mendongeng relawan anak: ditarik", withdrawn_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    html = client.get(f"/threads/{library_threads['dongeng'].id}").get_data(as_text=True)
    assert not [title for title in similar_titles(html) if "rahasia" in title or "ditarik" in title]
    fragment = client.get("/threads/new/similar?title=mendongeng relawan anak").get_data(
        as_text=True
    )
    assert "rahasia" not in fragment and "ditarik" not in fragment


def test_the_title_being_typed_gets_similar_threads_as_a_fragment(client, library_threads):
    response = client.get("/threads/new/similar?title=pupuk kompos")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert similar_titles(html) == ["Pelatihan pupuk organik untuk petani"]


@pytest.mark.parametrize("title", ["", "abc", '"((', "*" * 300, "\x00pupuk"])
def test_short_or_odd_titles_get_an_empty_answer_not_an_error(client, library_threads, title):
    response = client.get("/threads/new/similar", query_string={"title": title})
    assert response.status_code == 200


def test_the_preview_shows_similar_threads_without_javascript(client, make_user, library_threads):
    login_as(client, make_user())
    response = post_form(
        client,
        "/threads/new",
        {
            "kind": "challenge",
            "title": "Bagaimana cara mendongeng?",
            "body": "Relawan kami belum pernah mendongeng untuk anak-anak.",
            "preview": "Pratinjau",
        },
        page="/threads/new",
    )
    assert response.status_code == 200
    assert "Kelas mendongeng bersama relawan" in similar_titles(response.get_data(as_text=True))


def test_a_suggestion_hidden_after_it_was_remembered_disappears_at_once(
    app, client, library_threads
):
    from forum.models import Thread
    from tests.helpers import app_db

    page = f"/threads/{library_threads['dongeng'].id}"
    assert "Kelas mendongeng bersama relawan" in similar_titles(client.get(page).get_data(True))
    with app_db(app) as session:
        session.get(Thread, library_threads["dongeng2"].id).hidden = True
        session.commit()
    assert "Kelas mendongeng bersama relawan" not in similar_titles(
        client.get(page).get_data(as_text=True)
    )
