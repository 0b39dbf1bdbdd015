"""'Kami mencoba ini': libraries record trying another library's practice, updated over time."""

from __future__ import annotations

from io import BytesIO

import pytest
import sqlalchemy as sa

from forum.adoptions.models import Adoption
from forum.adoptions.models import AdoptionUpdate
from forum.engagement.models import Notification
from forum.models import Post
from forum.models import Thread
from forum.models import utcnow
from tests.helpers import app_db
from tests.helpers import client_for
from tests.helpers import count_rows
from tests.helpers import main_text
from tests.helpers import send_form

TRYING = {
    "status": "trying",
    "started_on": "2026-11-02",
    "adapted": "Kami pindahkan ke hari Minggu di posyandu.",
}


@pytest.fixture
def confirmed(make_user):
    """Make a librarian whose e-mail address is confirmed (a library member who may adopt)."""

    def make(username=None, **kwargs):
        kwargs.setdefault("library", "Perpustakaan Desa Cibeber")
        kwargs.setdefault("regency", "bandung")
        return make_user(username, email_confirmed_at=utcnow(), **kwargs)

    return make


@pytest.fixture
def practice(make_thread, make_user):
    author = make_user("rina_sukamaju", email_confirmed_at=utcnow())
    return make_thread(author, title="Dongeng Sabtu di pojok baca")


def adopt(client, thread_id, **changes):
    return send_form(client, f"/threads/{thread_id}/adoptions", {**TRYING, **changes})


def test_a_library_records_trying_a_practice_and_the_page_shows_it(app, confirmed, practice):
    client = client_for(app, confirmed("asep"))
    response = adopt(client, practice.id, participants="25", result="Anak-anak datang.")
    assert response.status_code == 302
    page = main_text(client.get(f"/threads/{practice.id}"))
    assert "Tried in 1 library in 1 kabupaten/kota" in page
    assert "Perpustakaan Desa Cibeber" in page and "Anak-anak datang." in page
    listing = main_text(client_for(app).get(f"/threads/{practice.id}/adoptions"))
    assert "Perpustakaan Desa Cibeber" in listing and "trying it now" in listing


def test_one_record_per_library_a_second_post_updates_it_and_keeps_the_history(
    app, confirmed, practice
):
    first = client_for(app, confirmed("asep"))
    colleague = client_for(app, confirmed("dewi"))  # same library
    assert adopt(first, practice.id).status_code == 302
    assert (
        adopt(colleague, practice.id, status="running", result="Jalan tiap minggu.").status_code
        == 302
    )
    with app_db(app) as session:
        adoption = session.scalars(sa.select(Adoption)).one()
        assert (adoption.status, adoption.result) == ("running", "Jalan tiap minggu.")
        statuses = [u.status for u in adoption.updates]
        assert statuses == ["trying", "running"]
        # Each version is told in the thread, as a reply by the member who saved it.
        assert (
            session.scalar(sa.select(sa.func.count(Post.id)).where(Post.thread_id == practice.id))
            == 3
        )
    page = main_text(first.get(f"/threads/{practice.id}/adoptions"))
    assert "1 earlier update" in page


def test_the_story_in_the_thread_says_where_the_library_is_with_it(app, confirmed, practice):
    """The reply reads as the librarian would write it, in their language (Indonesian here)."""
    client = client_for(app, confirmed("asep"))
    stories = [
        ("planned", "Kami berencana mencoba praktik ini, mulai 2 November 2026."),
        ("trying", "Kami sedang mencoba praktik ini sejak 2 November 2026."),
        ("running", "Praktik ini sudah berjalan di perpustakaan kami sejak 2 November 2026."),
        ("stopped", "Kami sempat mencoba praktik ini mulai 2 November 2026, lalu menghentikannya."),
    ]
    for status, _sentence in stories:
        assert adopt(client, practice.id, status=status).status_code == 302
    with app_db(app) as session:
        bodies = session.scalars(
            sa.select(Post.body)
            .where(Post.thread_id == practice.id, Post.is_opening.is_(False))
            .order_by(Post.id)
        ).all()
    assert [body.split("\n", 1)[0] for body in bodies] == [
        f"**{sentence}**" for _status, sentence in stories
    ]


def test_two_libraries_in_two_kabupaten_are_counted(app, confirmed, practice):
    adopt(client_for(app, confirmed("asep")), practice.id)
    other = confirmed("made", library="Perpustakaan Desa Ubud", regency="gianyar", province="bali")
    adopt(client_for(app, other), practice.id, status="running")
    page = main_text(client_for(app).get(f"/threads/{practice.id}"))
    assert "Tried in 2 libraries in 2 kabupaten/kota" in page


def test_a_library_that_only_plans_to_try_is_counted_apart(app, confirmed, practice):
    adopt(client_for(app, confirmed("asep")), practice.id, status="planned")
    page = main_text(client_for(app).get(f"/threads/{practice.id}"))
    assert "Not tried in another library yet" in page
    assert "1 more library plans to try it." in page


def test_visitors_are_sent_to_log_in(app, practice):
    response = adopt(client_for(app), practice.id)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert count_rows(app, Adoption) == 0


def test_members_without_a_library_or_a_confirmed_address_are_refused(
    app, make_user, confirmed, practice
):
    no_library = make_user("tanpa", library=None, email_confirmed_at=utcnow())
    unconfirmed = make_user("belum", library="Perpustakaan Desa Cibeber")
    assert adopt(client_for(app, no_library), practice.id).status_code == 403
    assert adopt(client_for(app, unconfirmed), practice.id).status_code == 403
    assert count_rows(app, Adoption) == 0


def test_a_library_cannot_adopt_its_own_practice(app, confirmed, practice):
    same = confirmed("ujang", library="Perpustakaan Desa Sukamaju", regency="purwakarta")
    assert adopt(client_for(app, same), practice.id).status_code == 403


def test_only_practices_have_adoptions(app, confirmed, make_thread):
    challenge = make_thread(kind="challenge", title="Anak-anak jarang datang")
    client = client_for(app, confirmed("asep"))
    assert client.get(f"/threads/{challenge.id}/adoptions").status_code == 404
    assert adopt(client, challenge.id).status_code == 404
    assert client.get("/threads/999999/adoptions").status_code == 404


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "maybe"},
        {"started_on": "kemarin"},
        {"adapted": "  "},
        {"participants": "banyak"},
        {"participants": "-3"},
    ],
)
def test_malformed_input_is_a_form_error(app, confirmed, practice, changes):
    response = adopt(client_for(app, confirmed("asep")), practice.id, **changes)
    assert response.status_code == 400
    assert count_rows(app, Adoption) == 0


def test_hidden_practices_and_hidden_stories_leave_the_lists(app, confirmed, practice):
    asep = confirmed("asep")
    adopt(client_for(app, asep), practice.id)
    with app_db(app) as session:
        adoption = session.scalars(sa.select(Adoption)).one()
        story_id, library_id = adoption.post_id, adoption.library_id
        session.get(Post, story_id).hidden = True
        session.commit()
    visitor = client_for(app)
    assert "Perpustakaan Desa Cibeber" not in main_text(visitor.get(f"/threads/{practice.id}"))
    assert practice.title not in main_text(visitor.get(f"/libraries/{library_id}"))
    with app_db(app) as session:
        session.get(Post, story_id).hidden = False
        session.get(Thread, practice.id).hidden = True
        session.commit()
    assert visitor.get(f"/threads/{practice.id}/adoptions").status_code == 404
    assert practice.title not in main_text(visitor.get(f"/libraries/{library_id}"))


def test_the_library_page_lists_what_it_took_and_what_others_took_from_it(
    app, confirmed, practice, make_thread
):
    asep = confirmed("asep")
    adopt(client_for(app, asep), practice.id, result="Ramai sekali.")
    visitor = client_for(app)
    with app_db(app) as session:
        adoption = session.scalars(sa.select(Adoption)).one()
        taker, giver = adoption.library_id, session.get(Thread, practice.id).library_id
    assert practice.title in main_text(visitor.get(f"/libraries/{taker}"))
    giver_page = main_text(visitor.get(f"/libraries/{giver}"))
    assert practice.title in giver_page and "Perpustakaan Desa Cibeber" in giver_page


def test_the_author_and_followers_hear_of_an_adoption(app, confirmed, make_user, practice):
    follower = make_user("pengikut")
    follower_client = client_for(app, follower)
    send_form(follower_client, f"/threads/{practice.id}/follow")
    adopt(client_for(app, confirmed("asep")), practice.id)
    with app_db(app) as session:
        kinds = {
            (n.user_id, n.kind)
            for n in session.scalars(sa.select(Notification).where(Notification.kind == "adoption"))
        }
        author_id = session.get(Thread, practice.id).author_id
    assert kinds == {(author_id, "adoption"), (follower.id, "adoption")}
    page = follower_client.get("/notifications").get_data(as_text=True)
    assert "recorded that their library is trying" in page


def test_a_refused_photo_keeps_nothing(app, confirmed, practice):
    client = client_for(app, confirmed("asep"))
    response = client.post(
        f"/threads/{practice.id}/adoptions",
        data={
            **TRYING,
            "csrf_token": client.csrf if hasattr(client, "csrf") else _token(client),
            "files": (BytesIO(b"not an image at all"), "foto.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert count_rows(app, Adoption) == 0 and count_rows(app, AdoptionUpdate) == 0


def _token(client):
    from tests.helpers import csrf_token

    client.csrf = csrf_token(client, "/no-such-page")
    return client.csrf


def test_photos_come_through_the_attachments_and_a_hidden_photo_is_not_shown(
    app, confirmed, practice, facilitator
):
    from forum.attachments.models import Attachment
    from tests.attachment_samples import photo

    client = client_for(app, confirmed("asep"))
    response = client.post(
        f"/threads/{practice.id}/adoptions",
        data={
            **TRYING,
            "result": "Anak-anak datang.",
            "csrf_token": _token(client),
            "files": (BytesIO(photo((400, 300))), "dongeng.jpg"),
            "captions": "Anak-anak mendengarkan dongeng",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app_db(app) as session:
        attachment = session.scalars(sa.select(Attachment)).one()
        attachment_id, story_id = attachment.id, attachment.post_id
        assert story_id == session.scalars(sa.select(Adoption.post_id)).one()
    visitor = client_for(app)
    assert "Anak-anak mendengarkan dongeng" in main_text(visitor.get(f"/threads/{practice.id}"))
    with app_db(app) as session:
        session.get(Attachment, attachment_id).hidden = True
        session.commit()
    page = main_text(visitor.get(f"/threads/{practice.id}/adoptions"))
    assert "Perpustakaan Desa Cibeber" in page  # the adoption stays
    assert "Anak-anak mendengarkan dongeng" not in page  # its hidden photo does not
    moderator_page = main_text(
        client_for(app, facilitator).get(f"/threads/{practice.id}/adoptions")
    )
    assert "Anak-anak mendengarkan dongeng" in moderator_page
