"""What the thread page costs (issue 15), and that the cheaper loading shows the same page.

The page's replies come with their total in one statement, similar threads come as
rows, a practice's adoption panel finds the member's own record with the listed
ones, and templates look the request's catalogue up once. Timings are in
bench/thread_page.py; here the statement counts and what each reader sees.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import render_template_string
from flask_babel import force_locale
from flask_babel import refresh

from forum.adoptions.models import Adoption
from forum.models import Post
from forum.models import Thread
from forum.models import utcnow
from forum.threads import service as threads
from tests.helpers import app_db
from tests.helpers import client_for
from tests.helpers import main_text
from tests.helpers import send_form

# A member's page of a practice: the member and the bell (2), the thread with its author,
# library, opening post, files and verified mark (1), its tags (1), the replies with their
# total (1), the member's draft (1), the adoption panel (2), helpful marks (1), follow,
# bookmark and read position (1), meetings (1), the member's flags (1), similar threads (1).
# (17 before issue 15's loading work: the verified mark, the replies' total, the library's
# own adoption and the read position each had a statement.)
MEMBER_PRACTICE_STATEMENTS = 13


def reply_count_heading(html: str) -> str:
    return re.search(r'<h2 id="replies-heading">([^<]*)</h2>', html).group(1)


def test_a_members_thread_page_costs_a_fixed_number_of_statements(
    app, runner, make_user, make_thread, make_reply, count_queries
):
    reader = make_user("pembaca", library="Perpustakaan Desa Cibeber", regency="garut")
    authors = [make_user() for _ in range(4)]
    small, large = make_thread(authors[0]), make_thread(authors[1])
    for i in range(2):
        make_reply(small, authors[i % 4])
    for i in range(30):
        make_reply(large, authors[i % 4])
    runner.invoke(args=["search", "similar", "--refresh"])
    client = client_for(app, reader)
    client.get(f"/threads/{small.id}").close()  # first-request work, and the read positions
    client.get(f"/threads/{large.id}").close()
    with count_queries() as small_queries:
        assert client.get(f"/threads/{small.id}").status_code == 200
    with count_queries() as large_queries:
        response = client.get(f"/threads/{large.id}")
        assert response.status_code == 200
    statements = [s for s in large_queries if s.split()[0].upper() == "SELECT"]
    assert len(large_queries) == len(small_queries)
    assert len(statements) == MEMBER_PRACTICE_STATEMENTS, "\n".join(statements)
    assert reply_count_heading(response.get_data(as_text=True)) == "30 replies"


def test_the_replies_total_comes_with_the_page_for_each_reader(
    app, make_user, make_thread, make_reply
):
    """Counted with the page of replies (``count(*) OVER ()``): each reader's own total,
    every page, and a page past the end still counts (with a statement of its own)."""
    app.config["REPLIES_PER_PAGE"] = 4
    author, facilitator = make_user("penulis"), make_user("fasil", role="facilitator")
    thread = make_thread(author)
    empty = make_thread(author, title="Belum ada balasan di sini")
    replies = [make_reply(thread, author, body=f"Balasan nomor {n}") for n in range(10)]
    with app_db(app) as session:
        session.get(Post, replies[3].id).hidden = True
        session.commit()
    visitor, moderator = client_for(app), client_for(app, facilitator)
    pages = {n: visitor.get(f"/threads/{thread.id}?page={n}").get_data(as_text=True)
             for n in (1, 3, 4)}  # fmt: skip
    assert [reply_count_heading(html) for html in pages.values()] == ["9 replies"] * 3
    assert "Balasan nomor 9" in pages[3] and "Balasan nomor 0" not in pages[3]
    assert f'<a rel="next" href="/threads/{thread.id}?page=2">' in pages[1]
    assert "Page 3 of 3" in pages[3]
    assert "Balasan nomor" not in main_text(visitor.get(f"/threads/{thread.id}?page=4"))
    assert reply_count_heading(moderator.get(f"/threads/{thread.id}").get_data(as_text=True)) == (
        "10 replies"
    )
    assert reply_count_heading(visitor.get(f"/threads/{empty.id}").get_data(as_text=True)) == (
        "0 replies"
    )


def test_replies_page_sets_each_replys_thread_and_skips_the_markdown_source(
    app, make_user, make_thread, make_reply
):
    thread = make_thread()
    make_reply(thread, body="Kami *juga* mencoba.")
    with app.test_request_context("/"), app_db(app):
        loaded = threads.load_thread(thread.id, None)
        page = threads.replies_page(loaded, None, 1, 20)
        (reply,) = page.items
        state = sa.inspect(reply)
        assert "body" in state.unloaded and "thread" not in state.unloaded
        assert reply.thread is loaded and page.total == 1
        assert reply.body == "Kami *juga* mencoba."  # still there when asked for


def test_similar_threads_show_title_kind_and_solved(app, runner, make_user, make_thread):
    author = make_user()
    practice = make_thread(author, title="Mendongeng untuk anak di balai desa")
    challenge = make_thread(
        author, kind="challenge", title="Mendongeng untuk anak: relawan sulit dicari"
    )
    with app_db(app) as session:
        session.get(Thread, challenge.id).solved_at = utcnow()
        session.commit()
    runner.invoke(args=["search", "similar", "--refresh"])
    html = client_for(app).get(f"/threads/{practice.id}").get_data(as_text=True)
    block = html.split('id="similar-heading"', 1)[1].split("</section>", 1)[0]
    assert f'<a href="/threads/{challenge.id}">Mendongeng untuk anak: relawan sulit dicari</a>' in (
        block
    )
    assert "· Challenge · Solved</span>" in block


@pytest.fixture
def adopted(app, make_user, make_thread):
    """A practice tried by the Cibeber library, whose story a facilitator hid."""
    owner = make_user("rina_sukamaju", email_confirmed_at=utcnow())
    practice = make_thread(owner, title="Dongeng Sabtu di pojok baca")
    asep = make_user(
        "asep", library="Perpustakaan Desa Cibeber", regency="bandung", email_confirmed_at=utcnow()
    )
    form = {"status": "trying", "started_on": "2026-11-02", "adapted": "Hari Minggu."}
    assert send_form(client_for(app, asep), f"/threads/{practice.id}/adoptions", form).status_code
    with app_db(app) as session:
        adoption = session.scalars(sa.select(Adoption)).one()
        session.get(Post, adoption.post_id).hidden = True
        session.commit()
    return practice, asep


def test_a_hidden_story_is_not_listed_but_the_library_still_updates_its_record(
    app, make_user, adopted
):
    practice, asep = adopted
    colleague = make_user(
        "dewi", library="Perpustakaan Desa Cibeber", regency="bandung", email_confirmed_at=utcnow()
    )
    other = make_user("made", library="Perpustakaan Desa Ubud", regency="gianyar")
    for user, listed, own in ((colleague, False, True), (asep, True, True), (other, False, False)):
        page = main_text(client_for(app, user).get(f"/threads/{practice.id}"))
        panel = page.split('id="adoptions"', 1)[1].split("</section>", 1)[0]
        assert ("Perpustakaan Desa Cibeber" in panel) is listed, user.username
        assert ("Update our story" in panel) is own, user.username
        assert ("We are trying this" in panel) is not own, user.username


def test_templates_follow_a_forced_or_refreshed_locale(app):
    """The catalogue kept for a request's templates is the one of the locale now chosen."""
    template = "{{ _('Similar threads') }}|{{ ngettext('%(num)d reply', '%(num)d replies', 2) }}"
    with app.test_request_context("/", headers={"Cookie": "lang=id"}):
        assert render_template_string(template) == "Diskusi serupa|2 balasan"
        with force_locale("en"):
            assert render_template_string(template) == "Similar threads|2 replies"
        assert render_template_string(template) == "Diskusi serupa|2 balasan"
    with app.test_request_context("/", headers={"Cookie": "lang=id"}):
        assert render_template_string(template) == "Diskusi serupa|2 balasan"
        from flask import request

        request.cookies = {"lang": "en"}
        refresh()
        assert render_template_string(template) == "Similar threads|2 replies"
