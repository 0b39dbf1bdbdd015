"""Helpful marks: once per member and post, undoable, never on your own, counted and sorted."""

from __future__ import annotations

import sqlalchemy as sa

from forum.engagement.models import HelpfulMark
from forum.models import Post
from forum.models import Thread
from tests.helpers import app_db
from tests.helpers import count_rows
from tests.helpers import login_as
from tests.helpers import post_form


def english(client):
    """Pages in English, so the checks hold whatever the Indonesian wording becomes."""
    client.set_cookie("lang", "en")
    return client


def helpful_counts(app, thread_id: int) -> tuple[int, int]:
    """(the thread's counter, the opening post's counter)."""
    with app_db(app) as session:
        thread = session.get(Thread, thread_id)
        return thread.helpful_count, thread.opening_post.helpful_count


def test_member_marks_a_thread_helpful_and_takes_it_back(app, client, make_user, make_thread):
    thread = make_thread(title="Kelas menulis untuk remaja")
    login_as(english(client), make_user())
    page = f"/threads/{thread.id}"

    response = post_form(client, f"/threads/{thread.id}/helpful", page=page)
    assert response.status_code == 302
    with app_db(app) as session:
        opening_id = session.get(Thread, thread.id).opening_post.id
    assert response.headers["Location"].endswith(f"/threads/{thread.id}#post-{opening_id}")
    assert helpful_counts(app, thread.id) == (1, 1)
    html = client.get(page).get_data(as_text=True)
    assert "1 member found this helpful" in html
    assert 'aria-pressed="true"' in html

    post_form(client, f"/threads/{thread.id}/helpful", page=page)  # the toggle undoes it
    assert helpful_counts(app, thread.id) == (0, 0)
    assert count_rows(app, HelpfulMark) == 0


def test_marks_from_several_members_add_up_once_each(
    app, client, make_user, make_thread, make_reply
):
    thread = make_thread()
    reply = make_reply(thread)
    for _ in range(3):
        other = app.test_client()
        login_as(other, make_user())
        response = post_form(other, f"/posts/{reply.id}/helpful", page=f"/threads/{thread.id}")
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"#post-{reply.id}")
    with app_db(app) as session:
        assert session.get(Post, reply.id).helpful_count == 3
        # A reply's marks are its own: the thread's counter is for the thread.
        assert session.get(Thread, thread.id).helpful_count == 0


def test_own_post_cannot_be_marked_helpful(app, client, make_user, make_thread, make_reply):
    author = make_user()
    thread = make_thread(author)
    reply = make_reply(thread, author)
    login_as(english(client), author)
    page = f"/threads/{thread.id}"
    assert ">Helpful<" not in client.get(page).get_data(as_text=True)  # no button offered
    for url in (f"/threads/{thread.id}/helpful", f"/posts/{reply.id}/helpful"):
        response = post_form(client, url, page=page)
        assert response.status_code == 403
        assert "You cannot mark your own post as helpful." in response.get_data(as_text=True)
    assert count_rows(app, HelpfulMark) == 0
    assert helpful_counts(app, thread.id) == (0, 0)


def test_helpful_without_csrf_token_is_refused(app, client, make_user, make_thread):
    thread = make_thread()
    login_as(client, make_user())
    assert client.post(f"/threads/{thread.id}/helpful").status_code == 400
    assert count_rows(app, HelpfulMark) == 0


def test_visitor_is_sent_to_log_in(app, client, make_thread):
    thread = make_thread()
    response = client.post(f"/threads/{thread.id}/helpful")
    assert response.status_code in (302, 400)
    assert count_rows(app, HelpfulMark) == 0


def test_hidden_reply_cannot_be_marked(app, client, make_user, make_thread, make_reply):
    thread = make_thread()
    reply = make_reply(thread, hidden=True, hidden_reason="spam")
    login_as(client, make_user())
    response = post_form(client, f"/posts/{reply.id}/helpful", page=f"/threads/{thread.id}")
    assert response.status_code == 404
    assert count_rows(app, HelpfulMark) == 0


def test_lists_show_counts_and_sort_by_helpfulness(app, client, make_user, make_thread):
    loved = make_thread(title="Utas yang sangat membantu")
    make_thread(title="Utas yang belum dibantu")  # newer, so first by activity
    for _ in range(2):
        member = app.test_client()
        login_as(member, make_user())
        post_form(member, f"/threads/{loved.id}/helpful", page=f"/threads/{loved.id}")
    html = english(client).get("/threads?sort=helpful").get_data(as_text=True)
    assert html.index("Utas yang sangat membantu") < html.index("Utas yang belum dibantu")
    assert "2 helpful" in html
    newest = client.get("/threads?sort=newest").get_data(as_text=True)
    assert newest.index("Utas yang belum dibantu") < newest.index("Utas yang sangat membantu")


def test_profile_shows_helpful_marks_received(app, client, make_user, make_thread, make_reply):
    author = make_user("wati_cibodas")
    thread = make_thread(author)
    reply = make_reply(make_thread(), author)
    for target in (f"/threads/{thread.id}/helpful", f"/posts/{reply.id}/helpful"):
        member = app.test_client()
        login_as(member, make_user())
        post_form(member, target, page="/")
    html = english(client).get("/users/wati_cibodas").get_data(as_text=True)
    assert "2 helpful marks received" in html
    with app_db(app) as session:
        session.execute(sa.update(Post).where(Post.id == reply.id).values(hidden=True))
        session.commit()
    # A hidden post's marks are not shown to others.
    html = client.get("/users/wati_cibodas").get_data(as_text=True)
    assert "1 helpful mark received" in html
