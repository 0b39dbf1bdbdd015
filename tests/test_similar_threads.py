"""Similar threads: under every thread (stored when it is written, refreshed by a job), and
while a new one is written."""

from __future__ import annotations

import re

import pytest

from forum.extensions import db
from forum.jobs import enqueue
from tests.helpers import ON_EVERY_SEARCH_BACKEND
from tests.helpers import app_db
from tests.helpers import login_as
from tests.helpers import post_form
from tests.helpers import run_jobs


def similar_titles(html: str) -> list[str]:
    if 'id="similar-heading"' not in html:
        return []
    block = html.split('id="similar-heading"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<a href="/threads/\d+">(.*?)</a>', block)


def refresh_job(app) -> None:
    """The nightly job (`flask jobs enqueue search.similar_refresh --key similar-DAY`)."""
    with app.app_context():
        enqueue("search.similar_refresh")
        db.session.commit()
    assert run_jobs(app) == 1


@pytest.fixture
def library_threads(app, make_thread):
    threads = {
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
    refresh_job(app)
    return threads


@ON_EVERY_SEARCH_BACKEND
def test_a_thread_page_suggests_similar_threads_but_not_itself(client, library_threads):
    html = client.get(f"/threads/{library_threads['dongeng'].id}").get_data(as_text=True)
    titles = similar_titles(html)
    assert titles[0] == "Kelas mendongeng bersama relawan"
    assert "Mendongeng untuk anak di balai desa" not in titles


@ON_EVERY_SEARCH_BACKEND
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

    page = f"/threads/{library_threads['dongeng'].id}"
    assert "Kelas mendongeng bersama relawan" in similar_titles(client.get(page).get_data(True))
    with app_db(app) as session:
        session.get(Thread, library_threads["dongeng2"].id).hidden = True
        session.commit()
    assert "Kelas mendongeng bersama relawan" not in similar_titles(
        client.get(page).get_data(as_text=True)
    )


@ON_EVERY_SEARCH_BACKEND
def test_a_new_thread_gets_its_similar_threads_when_written_older_ones_at_the_job(
    app, client, library_threads, make_thread
):
    newest = make_thread(
        title="Mendongeng dengan boneka tangan",
        body="Relawan mendongeng untuk anak-anak dengan boneka tangan dan buku cerita.",
    )
    assert "Kelas mendongeng bersama relawan" in similar_titles(
        client.get(f"/threads/{newest.id}").get_data(as_text=True)
    )
    older = f"/threads/{library_threads['dongeng2'].id}"
    assert newest.title not in similar_titles(client.get(older).get_data(as_text=True))
    refresh_job(app)
    assert newest.title in similar_titles(client.get(older).get_data(as_text=True))


@ON_EVERY_SEARCH_BACKEND
def test_editing_the_opening_post_recomputes_the_threads_similar_threads(
    app, client, library_threads
):
    from forum.models import Thread
    from forum.models import User
    from forum.threads import service

    page = f"/threads/{library_threads['dongeng'].id}"
    with app_db(app) as session:
        thread = session.get(Thread, library_threads["dongeng"].id)
        service.edit_thread(
            session.get(User, thread.author_id),
            thread,
            "Pupuk kompos untuk kebun baca",
            "Petani dan relawan membuat pupuk kompos organik di kebun perpustakaan.",
            ["literasi-anak"],
        )
        session.commit()
    assert similar_titles(client.get(page).get_data(as_text=True))[0] == (
        "Pelatihan pupuk organik untuk petani"
    )


@ON_EVERY_SEARCH_BACKEND
def test_renaming_an_author_leaves_their_threads_similar_threads_alone(
    app, library_threads, monkeypatch
):
    """A rename re-indexes the member's posts under the new name, but what their threads
    are about has not changed: nothing is recomputed (a member renaming again and again
    must not cost a similar-thread lookup for every thread they opened)."""
    from forum.models import Thread
    from forum.models import User
    from forum.threads import service
    from search_index import REFRESHER

    recomputed: list[int] = []
    monkeypatch.setattr(app.extensions[REFRESHER], "add", lambda db, ids: recomputed.extend(ids))
    thread_id = library_threads["dongeng"].id
    with app_db(app) as session:
        thread = session.get(Thread, thread_id)
        author = session.get(User, thread.author_id)
        author.display_name = "Ibu Dongeng"
        session.commit()
        assert recomputed == []

        service.edit_thread(author, thread, "Dongeng boneka tangan", thread.opening_post.body, [])
        session.commit()
    assert recomputed == [thread_id]


@ON_EVERY_SEARCH_BACKEND
def test_a_thread_page_never_asks_the_search_engine(app, client, library_threads, monkeypatch):
    from forum.extensions import search

    with app.app_context():
        engine = search.engine

    def refuse(*args, **kwargs):
        raise AssertionError("a page view asked the search engine for similar threads")

    monkeypatch.setattr(type(engine), "similar", refuse)
    html = client.get(f"/threads/{library_threads['dongeng'].id}").get_data(as_text=True)
    assert similar_titles(html)[0] == "Kelas mendongeng bersama relawan"


@ON_EVERY_SEARCH_BACKEND
def test_the_refresh_command_forgets_deleted_threads(app, runner, library_threads):
    import sqlalchemy as sa

    from forum.models import Thread
    from forum.models import similar_threads

    with app_db(app) as session:
        session.execute(sa.delete(Thread).where(Thread.id == library_threads["pupuk"].id))
        session.commit()
    result = runner.invoke(args=["search", "similar", "--refresh"])
    assert result.exit_code == 0, result.output
    with app_db(app) as session:
        stored = set(session.scalars(sa.select(similar_threads.c.thread_id)))
    assert library_threads["pupuk"].id not in stored
    assert library_threads["dongeng"].id in stored
