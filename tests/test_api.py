"""The JSON API v1: every endpoint, the pages' rules and visibility, JSON errors, cursors, ETags."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from forum.engagement.models import Bookmark
from forum.engagement.models import HelpfulMark
from forum.engagement.models import ThreadFollow
from forum.models import Post
from forum.models import Thread
from forum.moderation.models import Flag
from tests.helpers import api_client
from tests.helpers import api_token
from tests.helpers import app_db
from tests.helpers import bearer
from tests.helpers import count_rows


@pytest.fixture
def api(app):
    return api_client(app)


@pytest.fixture
def writer(app, make_user):
    user = make_user("asep", display_name="Asep Saepudin")
    return user, bearer(api_token(app, user))


# --- threads ---------------------------------------------------------------------------


def test_the_thread_list_shows_what_visitors_see_with_the_pages_filters(
    api, make_thread, make_user
):
    make_thread(title="Pojok baca anak", kind="practice", tags=("literasi-anak",))
    make_thread(title="Buku rusak kena banjir", kind="challenge", tags=("koleksi",))
    make_thread(title="Disembunyikan fasilitator", hidden=True)
    make_thread(title="Ditarik penulisnya", withdrawn_at=sa.func.now())
    titles = [t["title"] for t in api.get("/api/v1/threads").get_json()["threads"]]
    assert sorted(titles) == ["Buku rusak kena banjir", "Pojok baca anak"]
    body = api.get("/api/v1/threads?kind=challenge").get_json()
    assert [t["title"] for t in body["threads"]] == ["Buku rusak kena banjir"]
    body = api.get("/api/v1/threads?tag=Literasi Anak").get_json()
    assert [t["title"] for t in body["threads"]] == ["Pojok baca anak"]
    thread = body["threads"][0]
    assert thread["url"].startswith("http://localhost/threads/")
    assert "email" not in str(thread)
    bandung = make_user(regency="kota-bandung", province="jawa-barat")
    make_thread(bandung, title="Perpustakaan kota")
    body = api.get("/api/v1/threads?region=kota-bandung").get_json()
    assert [t["title"] for t in body["threads"]] == ["Perpustakaan kota"]
    body = api.get("/api/v1/threads?region=provinsi-jawa-barat").get_json()
    assert len(body["threads"]) == 3


def test_lists_page_by_an_opaque_cursor(app, api, make_thread):
    app.config["THREADS_PER_PAGE"] = 2
    made = [make_thread(title=f"Kegiatan nomor {n}") for n in range(5)]
    seen, cursor = [], None
    for _ in range(3):
        url = "/api/v1/threads?sort=newest" + (f"&cursor={cursor}" if cursor else "")
        body = api.get(url).get_json()
        assert "threads" in body, body
        seen += [t["id"] for t in body["threads"]]
        cursor = body["next_cursor"]
    assert cursor is None
    assert seen == [t.id for t in reversed(made)]
    response = api.get("/api/v1/threads?cursor=bm90LWEtY3Vyc29y")
    assert response.status_code == 400 and "cursor" in response.get_json()["error"]["fields"]


def test_a_thread_with_its_replies_hidden_ones_absent(api, make_thread, make_reply):
    thread = make_thread(title="Pojok baca di balai desa")
    make_reply(thread, body="Balasan yang terlihat")
    make_reply(thread, body="Balasan yang disembunyikan", hidden=True)
    body = api.get(f"/api/v1/threads/{thread.id}").get_json()
    assert body["opening_post"]["body"] == "Kami membuka pojok baca setiap Sabtu."
    assert [r["body"] for r in body["replies"]] == ["Balasan yang terlihat"]
    assert body["you"] is None and body["feed"].endswith(f"/threads/{thread.id}/feed.atom")
    hidden = make_thread(title="Tidak untuk umum", hidden=True)
    response = api.get(f"/api/v1/threads/{hidden.id}")
    assert response.status_code == 404 and response.is_json


def test_a_facilitator_token_sees_hidden_content_as_on_the_pages(
    app, api, make_thread, facilitator
):
    hidden = make_thread(title="Tidak untuk umum", hidden=True)
    response = api.get(f"/api/v1/threads/{hidden.id}", headers=bearer(api_token(app, facilitator)))
    assert response.status_code == 200 and response.get_json()["hidden"] is True


def test_posting_a_thread_with_report_sections(api, app, writer):
    user, headers = writer
    response = api.post(
        "/api/v1/threads",
        json={
            "kind": "practice",
            "title": "Kelas menulis remaja",
            "body": "Setiap Minggu sore.",
            "tags": ["literasi remaja", "menulis"],
            "participants": 25,
            "tips": "Mulai dari puisi.",
        },
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"] == body["url"]
    assert body["tags"] == ["literasi-remaja", "menulis"]
    assert body["sections"] == {"participants": 25, "tips": "Mulai dari puisi."}
    assert body["author"]["username"] == "asep"


def test_posting_refuses_what_the_form_refuses_with_field_errors(api, writer):
    _user, headers = writer
    response = api.post(
        "/api/v1/threads",
        json={"kind": "gossip", "title": "Hai", "body": "", "participants": "banyak"},
        headers=headers,
    )
    assert response.status_code == 400
    fields = response.get_json()["error"]["fields"]
    assert set(fields) >= {"kind", "title", "body", "participants"}
    response = api.post("/api/v1/threads", data="not json", headers=headers)
    assert response.status_code == 400 and response.is_json
    response = api.post(
        "/api/v1/threads",
        json={"kind": "practice", "title": "Judul yang baik", "body": "a\x00b"},
        headers=headers,
    )
    assert response.status_code == 400 and "body" in response.get_json()["error"]["fields"]


def test_replying_and_the_locked_thread_rule(api, app, writer, make_thread):
    thread = make_thread()
    _user, headers = writer
    response = api.post(
        f"/api/v1/threads/{thread.id}/replies", json={"body": "Kami juga!"}, headers=headers
    )
    assert response.status_code == 201 and response.get_json()["body"] == "Kami juga!"
    locked = make_thread(title="Diskusi terkunci", locked=True)
    response = api.post(
        f"/api/v1/threads/{locked.id}/replies", json={"body": "Boleh?"}, headers=headers
    )
    assert response.status_code == 403
    assert "locked" in response.get_json()["error"]["message"]


def test_reading_and_editing_ones_own_post_only(api, app, writer, make_thread, make_reply):
    user, headers = writer
    thread = make_thread()
    mine = make_reply(thread, user, body="Versi pertama")
    theirs = make_reply(thread, body="Punya orang lain")
    assert api.get(f"/api/v1/posts/{mine.id}").get_json()["body"] == "Versi pertama"
    response = api.patch(f"/api/v1/posts/{mine.id}", json={"body": "Versi kedua"}, headers=headers)
    assert response.status_code == 200 and response.get_json()["edited_at"]
    response = api.patch(f"/api/v1/posts/{theirs.id}", json={"body": "Diubah"}, headers=headers)
    assert response.status_code == 403
    with app_db(app) as session:
        assert session.get(Post, theirs.id).body == "Punya orang lain"
        assert session.get(Post, mine.id).body == "Versi kedua"


@pytest.mark.parametrize("mark", ["helpful", "follow", "bookmark"])
def test_marks_are_idempotent(api, app, writer, make_thread, mark):
    user, headers = writer
    thread = make_thread()
    url = f"/api/v1/threads/{thread.id}/{mark}"
    for _ in range(2):
        response = api.put(url, headers=headers)
        assert response.status_code == 200 and response.get_json()[mark] is True
    for _ in range(2):
        response = api.delete(url, headers=headers)
        assert response.status_code == 200 and response.get_json()[mark] is False
    with app_db(app) as session:
        assert session.get(Thread, thread.id).helpful_count == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(Bookmark)) == 0
        follow = session.get(ThreadFollow, (user.id, thread.id))
        assert follow is None or follow.active is False


def test_marking_ones_own_thread_helpful_is_refused(api, app, writer, make_thread):
    user, headers = writer
    thread = make_thread(user)
    response = api.put(f"/api/v1/threads/{thread.id}/helpful", headers=headers)
    assert response.status_code == 403
    assert count_rows(app, HelpfulMark) == 0


def test_flagging_a_post_once(api, app, writer, make_thread):
    _user, headers = writer
    thread = make_thread()
    url = f"/api/v1/posts/{thread.id and _opening(app, thread)}/flags"
    response = api.post(url, json={"reason": "other"}, headers=headers)
    assert response.status_code == 400 and "note" in response.get_json()["error"]["fields"]
    response = api.post(url, json={"reason": "spam", "note": "Iklan"}, headers=headers)
    assert response.status_code == 201
    response = api.post(url, json={"reason": "spam"}, headers=headers)
    assert response.status_code == 409
    assert count_rows(app, Flag) == 1


def _opening(app, thread) -> int:
    with app_db(app) as session:
        return session.scalar(
            sa.select(Post.id).where(Post.thread_id == thread.id, Post.is_opening)
        )


# --- search and the public lists -------------------------------------------------------


def test_search_groups_hits_by_thread_with_plain_snippets(api, make_thread, make_reply):
    thread = make_thread(title="Perpustakaan keliling dengan sepeda", body="Sepeda **keliling**.")
    make_reply(thread, body="Sepeda kami juga keliling desa.")
    make_thread(title="Rahasia sepeda", body="Sepeda tersembunyi", hidden=True)
    body = api.get("/api/v1/search?q=sepeda").get_json()
    assert [hit["thread"]["id"] for hit in body["hits"]] == [thread.id]
    assert "<" not in body["hits"][0]["snippet"] and "sepeda" in body["hits"][0]["snippet"].lower()
    assert body["next_cursor"] is None
    assert api.get("/api/v1/search").get_json() == {
        "query": "",
        "total": 0,
        "hits": [],
        "notes": [],
        "next_cursor": None,
    }


def test_tags_regions_users_and_meetings(api, app, make_thread, make_user, facilitator):
    author = make_user("siti", display_name="Siti Aminah")
    make_thread(author, tags=("literasi-anak", "dongeng"))
    make_thread(tags=("rahasia",), hidden=True)
    tags = {t["name"]: t["threads"] for t in api.get("/api/v1/tags").get_json()["tags"]}
    assert tags == {"literasi-anak": 1, "dongeng": 1}
    regions = api.get("/api/v1/regions").get_json()["regions"]
    values = {r["value"] for r in regions}
    assert "purwakarta" in values and "provinsi-jawa-barat" in values
    profile = api.get("/api/v1/users/siti").get_json()
    assert profile["display_name"] == "Siti Aminah" and profile["threads"] == 1
    assert "@" not in str(profile)
    assert api.get("/api/v1/users/nobody").status_code == 404
    _meeting(app, facilitator)
    meetings = api.get("/api/v1/meetings").get_json()["meetings"]
    assert [m["title"] for m in meetings] == ["PLM Purwakarta"]
    assert "@" not in str(meetings)


def _meeting(app, facilitator):
    from forum.extensions import db
    from forum.insight import service
    from forum.models import User

    with app.app_context():
        service.create_meeting(
            db.session.get(User, facilitator.id),
            service.MeetingDetails(
                title="PLM Purwakarta",
                kind="peer_learning",
                starts_on=date(2026, 5, 4),
                ends_on=date(2026, 5, 4),
                place="Balai desa",
                regency="purwakarta",
                participants=30,
                speakers="",
                summary="",
            ),
        )
        db.session.commit()


# --- errors, ETags, the description ----------------------------------------------------


def test_errors_are_json_never_a_page(api, writer):
    _user, headers = writer
    for method, url, status in (
        ("get", "/api/v1/no-such-thing", 404),
        ("get", "/api/v1/threads/999999", 404),
        ("delete", "/api/v1/threads", 405),
        ("post", "/api/v1/threads/1/replies", 401),
    ):
        response = getattr(api, method)(url)
        assert response.status_code == status, url
        assert response.is_json and response.get_json()["error"]["status"] == status


def test_a_too_large_body_is_413_json(app, api, writer):
    _user, headers = writer
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = api.post(
        "/api/v1/threads", data="x" * 5000, headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413 and response.is_json


def test_too_many_requests_is_429_json_with_retry_after(limited_app, make_user, make_thread):
    app = limited_app(RATELIMIT_POSTING="1 per minute")
    thread = make_thread()
    headers = bearer(api_token(app, make_user()))
    api = api_client(app)
    url = f"/api/v1/threads/{thread.id}/replies"
    assert api.post(url, json={"body": "Satu"}, headers=headers).status_code == 201
    response = api.post(url, json={"body": "Dua"}, headers=headers)
    assert response.status_code == 429 and response.is_json
    assert int(response.headers["Retry-After"]) > 0


def test_reads_carry_an_etag_and_revalidate(api, make_thread):
    make_thread()
    first = api.get("/api/v1/threads")
    assert first.headers["ETag"]
    again = api.get("/api/v1/threads", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_the_openapi_document_and_its_page(api):
    document = api.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert "/threads/{thread_id}/replies" in document["paths"]
    page = api.get("/api/v1/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "/threads/{thread_id}/replies" in html
    assert "https://cdn" not in html and '<script src="http' not in html


def test_a_reply_sent_again_with_its_client_key_is_posted_once(api, app, writer, make_thread):
    """A bot on a weak signal resends when the answer was lost: one reply, the same id."""
    _user, headers = writer
    thread = make_thread()
    url = f"/api/v1/threads/{thread.id}/replies"
    body = {"body": "Jadwal dongeng Sabtu ini.", "client_key": "wa-3f2c9a7e-0001"}
    first = api.post(url, json=body, headers=headers)
    again = api.post(url, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    with app_db(app) as session:
        count = sa.select(sa.func.count()).where(Post.thread_id == thread.id, ~Post.is_opening)
        assert session.scalar(count) == 1
    bad = api.post(url, json={"body": "Halo", "client_key": "x"}, headers=headers)
    assert bad.status_code == 400 and "client_key" in bad.get_json()["error"]["fields"]
