"""Templates show what their view gave them: no SQL statement runs while a template renders.

A query hidden in a template (a global that asks the database, a lazy
relationship) is invisible in the view, runs once per row and cannot be tested
on its own. Here the main pages are rendered for a visitor, a member and a
facilitator, and every statement sent while any template is rendering fails the test.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import pytest
import sqlalchemy as sa
from flask import before_render_template
from flask import render_template_string
from flask import template_rendered

from forum.adoptions import service as adoptions
from forum.extensions import db
from forum.insight.models import Meeting
from forum.models import Post
from forum.models import Thread
from forum.models import User
from forum.models import utcnow
from forum.practices import service as practices
from forum.threads import service as threads
from tests.helpers import app_db
from tests.helpers import client_for


@contextmanager
def queries_while_rendering(app):
    """Yield a list that collects (template, SQL) for statements sent while rendering."""
    caught: list[tuple[str, str]] = []
    rendering: list[str] = []

    def started(sender, template, context, **extra):
        rendering.append(template.name or "<string>")

    def finished(sender, template, context, **extra):
        if rendering:
            rendering.pop()

    def statement(conn, cursor, sql, *args):
        if rendering:
            caught.append((rendering[-1], sql.split("\n")[0][:120]))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", statement)
    try:
        with (
            before_render_template.connected_to(started, app),
            template_rendered.connected_to(finished, app),
        ):
            yield caught
    finally:
        sa.event.remove(engine, "before_cursor_execute", statement)


@pytest.fixture
def community(app, make_user, make_thread, make_reply):
    """A challenge with replies, an accepted answer, a mention, tags and a meeting."""
    author = make_user("rina")
    facilitator = make_user("fasilitator", role="facilitator")
    replier = make_user("budi")
    challenge = make_thread(author, kind="challenge", title="Buku rusak karena banjir")
    answer = make_reply(challenge, replier, body="Jemur di tempat teduh, @rina.")
    make_reply(challenge, author, body="Terima kasih!")
    practice = make_thread(replier, title="Pojok baca di pasar", tags=("literasi-anak", "pasar"))
    adopter = make_user(
        "asep", library="Perpustakaan Desa Cibeber", regency="garut", email_confirmed_at=utcnow()
    )
    with app_db(app) as session:
        threads.solve(
            session.get(User, author.id),
            session.get(Thread, challenge.id),
            session.get(Post, answer.id),
        )
        meeting = Meeting(
            title="Temu pustakawan",
            kind="peer_learning",
            starts_on=date(2026, 2, 10),
            ends_on=date(2026, 2, 10),
            place="Balai desa",
            regency="garut",
            province="jawa-barat",
            participants=12,
            created_by_id=facilitator.id,
        )
        session.add(meeting)
        session.flush()
        from forum.insight import service as insight

        insight.link_thread(session.get(User, facilitator.id), meeting, challenge.id, "discussed")
        # Another library tries the practice, which is linked to the challenge.
        adoption, _new = adoptions.record_adoption(
            session.get(User, adopter.id),
            session.get(Thread, practice.id),
            adoptions.AdoptionDetails("running", date(2026, 3, 1), "Di pasar desa.", "Ramai."),
        )
        adoptions.link_practice(
            session.get(User, author.id), session.get(Thread, challenge.id), str(practice.id)
        )
        practices.verify(
            session.get(User, facilitator.id),
            session.get(Thread, practice.id),
            "**Berhasil:** pasar jadi ramai pembaca.",
        )
        session.commit()
        meeting_id, library_id = meeting.id, adoption.library_id
    return {
        "users": {"visitor": None, "member": author, "facilitator": facilitator},
        "pages": [
            "/",
            "/threads",
            "/threads?tag=literasi-anak",
            "/threads/needs-help",
            f"/threads/{challenge.id}",
            f"/threads/{practice.id}",
            f"/posts/{answer.id}/history",
            "/users/rina",
            "/search?q=buku",
            "/meetings",
            f"/meetings/{meeting_id}",
            f"/threads/{practice.id}/adoptions",
            "/practices/verified",
            f"/libraries/{library_id}",
            "/dashboard",
            "/dashboard/report",
        ],
        "member_pages": [
            "/threads/new",
            f"/posts/{answer.id}/edit",
            f"/threads/{challenge.id}/edit",
            "/notifications",
            "/bookmarks",
            "/drafts",
        ],
    }


@pytest.mark.parametrize("who", ["visitor", "member", "facilitator"])
def test_no_template_runs_a_query_on_the_main_pages(app, community, who):
    client = client_for(app, community["users"][who])
    pages = community["pages"] + (community["member_pages"] if who != "visitor" else [])
    with queries_while_rendering(app) as caught:
        for page in pages:
            response = client.get(page)
            assert response.status_code in (200, 302, 403), (page, response.status_code)
    found = sorted(set(caught))
    assert not found, "\n".join(f"{template}: {sql}" for template, sql in found)


def test_the_check_catches_a_template_that_queries(app, community):
    """Proof the check can fail: a template that counts threads itself is caught."""
    with queries_while_rendering(app) as caught, app.test_request_context("/"):
        html = render_template_string(
            "{{ count() }}", count=lambda: db.session.scalar(sa.select(sa.func.count(Thread.id)))
        )
    assert html == "2"
    assert any(
        template == "<string>" and "SELECT count(threads.id)" in sql for template, sql in caught
    )


def test_a_members_list_counts_new_replies_in_one_query(
    app, make_user, make_thread, make_reply, count_queries
):
    """The "N new" badges cost one statement for the page, not one per thread read."""
    reader = make_user("pembaca")
    author = make_user("penulis")
    client = client_for(app, reader)

    def read_threads_that_get_a_reply(how_many: int) -> None:
        for number in range(how_many):
            thread = make_thread(author, title=f"Kegiatan literasi nomor {number}")
            client.get(f"/threads/{thread.id}").close()  # the position is written on close
            make_reply(thread, author, body="Kabar terbaru dari kami.")

    def statements_for_the_list() -> int:
        with count_queries() as statements:
            html = client.get("/threads").get_data(as_text=True)
        return len(statements), html.count('class="badge new"')

    read_threads_that_get_a_reply(2)
    with_two, badges_two = statements_for_the_list()
    read_threads_that_get_a_reply(4)
    with_six, badges_six = statements_for_the_list()
    assert (badges_two, badges_six) == (2, 6)
    assert with_six == with_two
