"""Opening, reading, replying to, editing and withdrawing threads."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from forum.models import Post
from forum.models import PostRevision
from forum.models import Thread
from tests.helpers import app_db
from tests.helpers import count_rows
from tests.helpers import login_as
from tests.helpers import main_text
from tests.helpers import post_form

NEW_THREAD = {
    "kind": "practice",
    "title": "Dongeng setiap Sabtu di pojok baca",
    "body": "Kami **mengundang** relawan untuk mendongeng.\n\n- anak-anak datang\n- orang tua ikut",
    "tags": "Literasi Anak, pojok baca, literasi anak",
}


def open_thread(client, **changes):
    return post_form(client, "/threads/new", {**NEW_THREAD, **changes}, page="/threads/new")


def test_member_opens_a_practice_and_reads_it(app, client, member):
    response = open_thread(client)
    assert response.status_code == 302
    assert re.fullmatch(r"/threads/\d+", response.headers["Location"])
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Dongeng setiap Sabtu di pojok baca" in html
    assert "<strong>mengundang</strong>" in html
    with app_db(app) as session:
        thread = session.scalar(sa.select(Thread))
        assert [t.name for t in thread.tags] == ["literasi-anak", "pojok-baca"]
        assert (thread.regency, thread.province) == ("purwakarta", "jawa-barat")
        assert thread.library.name == "Perpustakaan Desa Sukamaju"


def test_preview_shows_the_rendered_text_and_posts_nothing(app, client, member):
    response = open_thread(client, preview="Pratinjau")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<strong>mengundang</strong>" in html
    assert 'value="Dongeng setiap Sabtu di pojok baca"' in html
    assert count_rows(app, Thread) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "abc"}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"body": ""}, "body"),
        ({"body": "x" * 20_001}, "body"),
        ({"kind": "pengumuman"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"tags": ",".join(f"tag{i}" for i in range(9))}, "tags"),
    ],
)
def test_invalid_thread_is_a_form_error_and_keeps_the_text(app, client, member, changes, field):
    response = open_thread(client, **changes)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert "mendongeng" in html or field == "body"
    assert count_rows(app, Thread) == 0


def test_thread_without_csrf_token_is_refused(app, client, member):
    response = client.post("/threads/new", data=NEW_THREAD)
    assert response.status_code == 400
    assert "mendongeng" in response.get_data(as_text=True)
    assert count_rows(app, Thread) == 0


def test_visitor_cannot_open_or_reply(app, client, make_thread):
    thread = make_thread()
    assert client.get("/threads/new").status_code == 302
    response = post_form(client, f"/threads/{thread.id}/replies", {"body": "halo"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
    assert count_rows(app, Post) == 1


def test_reply_redirects_to_the_new_post(app, client, member, make_thread):
    thread = make_thread()
    response = post_form(
        client,
        f"/threads/{thread.id}/replies",
        {"body": "Kami juga **mencoba**."},
        page=f"/threads/{thread.id}",
    )
    assert response.status_code == 302
    with app_db(app) as session:
        reply = session.scalar(sa.select(Post).where(Post.is_opening.is_(False)))
    assert response.headers["Location"] == f"/threads/{thread.id}#post-{reply.id}"
    html = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert f'id="post-{reply.id}"' in html
    assert "<strong>mencoba</strong>" in html


def test_reply_on_a_later_page_carries_the_page(app, client, member, make_thread, make_reply):
    thread = make_thread()
    other = member
    for _ in range(50):
        make_reply(thread, other)
    response = post_form(client, f"/threads/{thread.id}/replies", {"body": "Balasan ke-51"})
    assert "?page=2#post-" in response.headers["Location"]
    page2 = client.get(response.headers["Location"].split("#")[0]).get_data(as_text=True)
    assert "Balasan ke-51" in page2


def test_empty_reply_is_a_form_error(app, client, member, make_thread):
    thread = make_thread()
    response = post_form(client, f"/threads/{thread.id}/replies", {"body": "   "})
    assert response.status_code == 400
    assert 'id="body-error"' in response.get_data(as_text=True)
    assert count_rows(app, Post) == 1


def test_locked_thread_refuses_replies_with_the_reason(app, client, member, make_thread):
    thread = make_thread(locked=True)
    response = post_form(client, f"/threads/{thread.id}/replies", {"body": "Boleh ikut?"})
    assert response.status_code == 403
    assert "dikunci" in response.get_data(as_text=True)
    assert count_rows(app, Post) == 1


def test_suspended_member_cannot_post(app, client, make_user, make_thread):
    thread = make_thread()
    user = make_user(suspended_indefinitely=True, suspension_reason="promosi berulang")
    login_as(client, user)
    response = post_form(client, f"/threads/{thread.id}/replies", {"body": "Halo"})
    assert response.status_code == 403
    assert "promosi berulang" in response.get_data(as_text=True)
    response = open_thread(client)
    assert response.status_code == 403
    assert count_rows(app, Post) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/threads/999999",
        "/threads/99999999999999999999",
        "/posts/999999/history",
        "/threads/abc",
        "/users/tidak_ada",
    ],
)
def test_unknown_ids_are_404(client, path):
    assert client.get(path).status_code == 404


def test_author_edits_own_thread_and_history_keeps_the_old_version(
    app, client, member, make_thread
):
    thread = make_thread(member, title="Judul lama yang pertama", body="Isi lama")
    response = post_form(
        client,
        f"/threads/{thread.id}/edit",
        {"title": "Judul baru yang lebih jelas", "body": "Isi baru", "tags": "pojok baca"},
        page=f"/threads/{thread.id}/edit",
    )
    assert response.status_code == 302
    html = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert "Judul baru yang lebih jelas" in html and "Isi baru" in html
    with app_db(app) as session:
        opening = session.scalar(sa.select(Post).where(Post.thread_id == thread.id))
        revision = session.scalar(sa.select(PostRevision))
        assert (revision.title, revision.body) == ("Judul lama yang pertama", "Isi lama")
    history = client.get(f"/posts/{opening.id}/history").get_data(as_text=True)
    assert "Judul lama yang pertama" in history and "Isi lama" in history


def test_member_edits_own_reply(app, client, member, make_thread, make_reply):
    reply = make_reply(make_thread(), member, body="Versi pertama")
    response = post_form(
        client, f"/posts/{reply.id}/edit", {"body": "Versi kedua"}, page=f"/posts/{reply.id}/edit"
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#post-{reply.id}")
    history = client.get(f"/posts/{reply.id}/history").get_data(as_text=True)
    assert "Versi pertama" in history and "Versi kedua" in history


def test_editing_someone_elses_post_is_403_and_changes_nothing(
    app, client, member, make_thread, make_reply
):
    thread = make_thread(title="Punya orang lain sekali")
    reply = make_reply(thread, body="Balasan orang lain")
    assert client.get(f"/threads/{thread.id}/edit").status_code == 403
    response = post_form(client, f"/posts/{reply.id}/edit", {"body": "diubah"})
    assert response.status_code == 403
    response = post_form(
        client,
        f"/threads/{thread.id}/edit",
        {"title": "Diubah orang lain", "body": "x", "tags": ""},
    )
    assert response.status_code == 403
    with app_db(app) as session:
        assert session.get(Post, reply.id).body == "Balasan orang lain"
        assert session.get(Thread, thread.id).title == "Punya orang lain sekali"


def test_withdrawn_reply_disappears_for_others(app, client, member, make_thread, make_reply):
    thread = make_thread()
    reply = make_reply(thread, member, body="Saya tarik kembali")
    response = post_form(client, f"/posts/{reply.id}/withdraw", page=f"/threads/{thread.id}")
    assert response.status_code == 302
    visitor = app.test_client()
    html = visitor.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert "Saya tarik kembali" not in html
    assert visitor.get(f"/posts/{reply.id}/history").status_code == 404
    with app_db(app) as session:
        assert session.get(Post, reply.id).withdrawn_at is not None  # kept for moderators


def test_withdrawing_the_opening_post_withdraws_the_thread(app, client, member, make_thread):
    thread = make_thread(member)
    with app_db(app) as session:
        opening_id = session.scalar(sa.select(Post.id).where(Post.thread_id == thread.id))
    post_form(client, f"/posts/{opening_id}/withdraw", page=f"/threads/{thread.id}")
    assert app.test_client().get(f"/threads/{thread.id}").status_code == 404
    assert thread.title not in app.test_client().get("/threads").get_data(as_text=True)


def test_withdraw_asks_first_and_one_tap_changes_nothing(
    app, client, member, make_thread, make_reply
):
    thread = make_thread()
    reply = make_reply(thread, member, body="Nomor HP saya 0812-3456-7890")
    page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    # The thread page links to a question, not to a form that withdraws at once.
    assert f'href="/posts/{reply.id}/withdraw"' in page
    asked = client.get(f"/posts/{reply.id}/withdraw", headers={"Accept-Language": "en"})
    assert asked.status_code == 200
    question = main_text(asked)
    assert "Withdraw this reply?" in question and "0812-3456-7890" in question
    assert f'action="/posts/{reply.id}/withdraw"' in question
    assert f'href="/threads/{thread.id}' in question  # the way back
    with app_db(app) as session:
        assert session.get(Post, reply.id).withdrawn_at is None
    confirmed = post_form(client, f"/posts/{reply.id}/withdraw", page=f"/posts/{reply.id}/withdraw")
    assert confirmed.status_code == 302
    with app_db(app) as session:
        assert session.get(Post, reply.id).withdrawn_at is not None
    # A withdrawn reply is gone, for its author too.
    assert client.get(f"/posts/{reply.id}/withdraw").status_code == 404


def test_only_the_author_is_asked_to_withdraw(app, client, member, make_thread, make_reply):
    reply = make_reply(make_thread())
    assert client.get(f"/posts/{reply.id}/withdraw").status_code == 403
    visitor = app.test_client().get(f"/posts/{reply.id}/withdraw")
    assert visitor.status_code == 302 and "/auth/login" in visitor.location


def test_withdrawing_someone_elses_post_is_403(app, client, member, make_thread, make_reply):
    reply = make_reply(make_thread())
    response = post_form(client, f"/posts/{reply.id}/withdraw")
    assert response.status_code == 403
    with app_db(app) as session:
        assert session.get(Post, reply.id).withdrawn_at is None


def test_lists_filter_by_kind_tag_and_region(app, client, make_user, make_thread):
    gowa = make_user(
        library="Perpustakaan Desa Bontoloe", regency="gowa", province="sulawesi-selatan"
    )
    make_thread(title="Praktik pojok baca Purwakarta", tags=["pojok-baca"])
    make_thread(gowa, kind="challenge", title="Tantangan buku hilang di Gowa", tags=["sirkulasi"])

    def titles(query):
        return client.get(f"/threads?{query}").get_data(as_text=True)

    assert "Tantangan buku hilang" in titles("kind=challenge")
    assert "Praktik pojok baca" not in titles("kind=challenge")
    assert "Praktik pojok baca" in titles("tag=Pojok Baca")
    assert "Tantangan buku hilang" not in titles("tag=pojok-baca")
    assert "Tantangan buku hilang" in titles("region=gowa")
    assert "Praktik pojok baca" not in titles("region=gowa")
    assert client.get("/threads?kind=xyz&sort=bogus&page=-4").status_code == 200


def test_lists_sort_by_activity_or_newest_and_paginate(app, client, make_thread, make_reply):
    old = make_thread(title="Utas lama tapi ramai")
    make_thread(title="Utas baru tanpa balasan")
    make_reply(old)
    by_activity = client.get("/threads").get_data(as_text=True)
    assert by_activity.index("Utas lama tapi ramai") < by_activity.index("Utas baru tanpa balasan")
    newest = client.get("/threads?sort=newest").get_data(as_text=True)
    assert newest.index("Utas baru tanpa balasan") < newest.index("Utas lama tapi ramai")
    for n in range(21):
        make_thread(title=f"Utas nomor {n:02d} untuk halaman")
    assert 'rel="next"' in client.get("/threads").get_data(as_text=True)
    assert "Utas lama tapi ramai" in client.get("/threads?page=2").get_data(as_text=True)


def test_thread_page_queries_do_not_grow_with_replies(
    app, client, runner, make_user, make_thread, make_reply, count_queries
):
    authors = [make_user() for _ in range(5)]
    small, large = make_thread(), make_thread()
    for i in range(3):
        make_reply(small, authors[i % 5])
    for i in range(40):
        make_reply(large, authors[i % 5])
    runner.invoke(args=["search", "similar", "--refresh"])  # each is the other's similar thread
    client.get(f"/threads/{small.id}")  # warm-up: first-request work is not per page
    with count_queries() as small_queries:
        assert client.get(f"/threads/{small.id}").status_code == 200
    with count_queries() as large_queries:
        assert client.get(f"/threads/{large.id}").status_code == 200
    assert len(large_queries) == len(small_queries)
    # A visitor's practice: the content version (ETag), the thread with its verified mark,
    # its tags, the replies with their total, the adoption panel (2), meetings, similar threads.
    selects = [statement for statement in large_queries if statement.startswith("SELECT")]
    assert len(selects) == 8, "\n".join(selects)


def test_list_page_queries_do_not_grow_with_threads(
    app, client, make_user, make_thread, count_queries
):
    make_thread()
    client.get("/threads")
    with count_queries() as few:
        client.get("/threads")
    for _ in range(15):
        make_thread(make_user())
    with count_queries() as many:
        client.get("/threads")
    assert len(many) == len(few)


def test_times_show_in_the_members_time_zone(app, client, make_user, make_thread):
    from datetime import UTC
    from datetime import datetime

    user = make_user(timezone="Asia/Jayapura")
    thread = make_thread(user)
    with app_db(app) as session:
        opening = session.scalar(sa.select(Post).where(Post.thread_id == thread.id))
        opening.created_at = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
        session.commit()
        opening_id = opening.id
    login_as(client, user)
    html = client.get(f"/posts/{opening_id}/history").get_data(as_text=True)
    assert "05.00" in html or "05:00" in html  # 20:00 UTC is 05:00 WIT the next day
    visitor = app.test_client().get(f"/posts/{opening_id}/history").get_data(as_text=True)
    assert "03.00" in visitor or "03:00" in visitor  # WIB for visitors


PITCH = "learn from libraries across Indonesia"


def test_the_home_page_explains_serambi_to_a_visitor(client):
    page = main_text(client.get("/", headers={"Accept-Language": "en"}))
    assert PITCH in page
    assert "/auth/register" in page


def test_a_members_home_page_starts_with_posting_and_the_lists_not_the_pitch(client, member):
    page = main_text(client.get("/", headers={"Accept-Language": "en"}))
    assert PITCH not in page
    assert "/auth/register" not in page
    assert page.index("/threads/new") < page.index("Latest best practices")
