"""Drafts: unfinished threads and replies are kept on the server and come back."""

from __future__ import annotations

import sqlalchemy as sa

from forum.models import Draft
from forum.models import Post
from forum.models import Thread
from tests.helpers import app_db
from tests.helpers import count_rows
from tests.helpers import login_as
from tests.helpers import post_form

UNFINISHED = {
    "kind": "challenge",
    "title": "Buku rusak karena atap bocor",
    "body": "Musim hujan kemarin rak bagian belakang",
    "tags": "gedung",
    "tried": "Menutup rak dengan terpal",
}


def save_thread_draft(client, **changes):
    data = {**UNFINISHED, **changes, "save_draft": "Simpan draf"}
    return post_form(client, "/threads/new", data, page="/threads/new")


def test_a_saved_thread_draft_comes_back_with_every_field(client, member):
    response = save_thread_draft(client)
    assert response.status_code == 302
    html = client.get("/threads/new").get_data(as_text=True)
    assert "Draf Anda dari" in html
    assert 'value="Buku rusak karena atap bocor"' in html
    assert "Musim hujan kemarin rak bagian belakang</textarea>" in html
    assert "Menutup rak dengan terpal</textarea>" in html
    assert '<input checked id="kind-1" name="kind" required type="radio" value="challenge">' in html


def test_a_draft_is_saved_even_when_the_form_is_not_valid_yet(app, client, member):
    save_thread_draft(client, title="Buk", tags="x" * 500)  # too short, too long: still kept
    with app_db(app) as session:
        draft = session.scalar(sa.select(Draft))
        assert draft.data["title"] == "Buk"
    assert count_rows(app, Thread) == 0


def test_posting_the_thread_discards_its_draft(app, client, member):
    save_thread_draft(client)
    response = post_form(client, "/threads/new", UNFINISHED, page="/threads/new")
    assert response.status_code == 302
    assert count_rows(app, Draft) == 0
    assert "Draf Anda dari" not in client.get("/threads/new").get_data(as_text=True)


def test_a_reply_draft_is_restored_under_its_thread(app, client, member, make_thread):
    thread = make_thread(title="Jam buka perpustakaan desa")
    url = f"/threads/{thread.id}"
    data = {"body": "Kami buka sore hari setelah", "save_draft": "Simpan draf"}
    response = post_form(client, f"{url}/replies", data, page=url)
    assert response.status_code == 302
    assert "Kami buka sore hari setelah</textarea>" in client.get(url).get_data(as_text=True)
    other = make_thread(title="Lomba mewarnai")
    assert "Kami buka sore hari" not in client.get(f"/threads/{other.id}").get_data(as_text=True)

    post_form(client, f"{url}/replies", {"body": "Kami buka sore hari setelah Asar."}, page=url)
    assert count_rows(app, Draft) == 0
    assert count_rows(app, Post) == 3


def test_the_drafts_page_lists_only_the_members_own(app, client, member, make_user, make_thread):
    save_thread_draft(client)
    thread = make_thread(title="Pojok baca di posyandu")
    post_form(
        client,
        f"/threads/{thread.id}/replies",
        {"body": "Setuju, kami", "save_draft": "1"},
        page=f"/threads/{thread.id}",
    )
    html = client.get("/drafts").get_data(as_text=True)
    assert "Buku rusak karena atap bocor" in html
    assert "Balasan untuk: Pojok baca di posyandu" in html

    other = app.test_client()
    login_as(other, make_user("lina_cikole"))
    html = other.get("/drafts").get_data(as_text=True)
    assert "Anda tidak punya draf." in html and "atap bocor" not in html


def test_another_members_draft_cannot_be_deleted(app, client, member, make_user):
    save_thread_draft(client)
    with app_db(app) as session:
        draft_id = session.scalar(sa.select(Draft.id))
    other = app.test_client()
    login_as(other, make_user("lina_cikole"))
    response = post_form(other, f"/drafts/{draft_id}/delete", page="/drafts")
    assert response.status_code == 404
    assert count_rows(app, Draft) == 1


def test_a_member_deletes_a_draft(app, client, member):
    save_thread_draft(client)
    with app_db(app) as session:
        draft_id = session.scalar(sa.select(Draft.id))
    response = post_form(client, f"/drafts/{draft_id}/delete", page="/drafts")
    assert response.status_code == 302
    assert count_rows(app, Draft) == 0


def test_saving_an_empty_form_removes_the_draft(app, client, member):
    save_thread_draft(client)
    save_thread_draft(client, title="", body="", tags="", tried="")
    assert count_rows(app, Draft) == 0


def test_autosave_keeps_the_text_without_a_page(app, client, member, make_thread):
    thread = make_thread()
    token_page = f"/threads/{thread.id}"
    response = post_form(
        client, f"/drafts/autosave?thread={thread.id}", {"body": "Sedang mengetik"}, page=token_page
    )
    assert response.status_code == 204
    assert "Sedang mengetik</textarea>" in client.get(token_page).get_data(as_text=True)
    assert client.post("/drafts/autosave", data={"body": "tanpa token"}).status_code == 400


def test_a_draft_for_a_thread_that_was_hidden_is_not_listed(app, client, member, make_thread):
    thread = make_thread(title="Nomor HP warga di papan")
    post_form(
        client,
        f"/drafts/autosave?thread={thread.id}",
        {"body": "Sebaiknya"},
        page=f"/threads/{thread.id}",
    )
    with app_db(app) as session:
        session.get(Thread, thread.id).hidden = True
        session.commit()
    assert "Nomor HP warga" not in client.get("/drafts").get_data(as_text=True)
    response = post_form(
        client, f"/drafts/autosave?thread={thread.id}", {"body": "Sebaiknya dihapus"}
    )
    assert response.status_code == 404


def test_visitors_are_sent_to_log_in(client):
    response = client.get("/drafts")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
