"""One library, one row: registration offers the kabupaten's libraries, a near-duplicate name
is the same library, and joining one that has members is a request a member confirms.

Until it is confirmed the newcomer's library stays empty: they are not among its members,
cannot record for it that it tries a practice, and are counted for it nowhere.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.models import Library
from forum.models import LibraryRequest
from forum.models import Thread
from forum.models import User
from forum.permissions import why_not_adopt
from tests.helpers import REGISTRATION
from tests.helpers import app_db
from tests.helpers import client_for
from tests.helpers import count_rows
from tests.helpers import post_form
from tests.helpers import send_form

CIBATU = "Perpustakaan Desa Cibatu"


@pytest.fixture
def yanti(make_user):
    """The first librarian of Perpustakaan Desa Cibatu (Purwakarta)."""
    return make_user("yanti", display_name="Yanti", library=CIBATU)


def register(client, **changes):
    return post_form(client, "/auth/register", {**REGISTRATION, **changes}, page="/auth/register")


def member(app, username) -> User:
    with app_db(app) as session:
        user = session.scalar(sa.select(User).where(User.username == username))
        session.expunge(user)
        return user


def waiting_request(app, username) -> LibraryRequest | None:
    with app_db(app) as session:
        return session.scalar(
            sa.select(LibraryRequest)
            .join(User, User.id == LibraryRequest.user_id)
            .where(User.username == username, LibraryRequest.status == "waiting")
            .options(sa.orm.joinedload(LibraryRequest.library))
        )


@pytest.mark.parametrize(
    ("name", "village", "same"),
    [
        ("Perpus Desa Cibatu", "Sukamaju", True),
        ("perpustakaan  desa  CIBATU", "desa sukamaju", True),
        ("Perpusdes Cibatu.", "Sukamaju", True),
        ("Perpustakaan Desa Cibatu", "Cikopo", False),  # the same name in another village
        ("TBM Cibatu", "Sukamaju", False),
    ],
)
def test_a_name_spelled_differently_is_the_same_library(app, yanti, name, village, same):
    before = count_rows(app, Library)
    response = register(app.test_client(), library_name=name, village=village)
    assert response.status_code == 302
    assert count_rows(app, Library) == before + (0 if same else 1)
    asked = waiting_request(app, "siti_cibatu")
    assert (asked is not None and asked.library.name == CIBATU) is same


def test_the_first_member_of_a_library_belongs_to_it_at_once(app, client):
    assert register(client).status_code == 302
    siti = member(app, "siti_cibatu")
    assert siti.library_id is not None
    assert waiting_request(app, "siti_cibatu") is None


def test_a_join_request_waits_for_a_member_who_confirms_it(app, yanti):
    newcomer = app.test_client()
    response = register(newcomer, library_name="Perpus Desa Cibatu", village="Sukamaju")
    assert "menunggu konfirmasi dari anggotanya" in newcomer.get("/").get_data(as_text=True)
    profile = newcomer.get("/users/siti_cibatu").get_data(as_text=True)
    assert CIBATU in profile and "menunggu konfirmasi" in profile
    siti = member(app, "siti_cibatu")
    assert response.status_code == 302 and siti.library_id is None

    library_member = client_for(app, yanti)
    notifications = library_member.get("/notifications").get_data(as_text=True)
    assert "Siti Aminah asks to join your library" in notifications
    page = library_member.get("/libraries/requests").get_data(as_text=True)
    assert "Siti Aminah" in page and f"wants to join {CIBATU}" in page
    asked = waiting_request(app, "siti_cibatu")
    answer = send_form(library_member, f"/libraries/requests/{asked.id}/confirm")
    assert answer.status_code == 302

    assert member(app, "siti_cibatu").library_id == asked.library_id
    assert waiting_request(app, "siti_cibatu") is None
    told = newcomer.get("/notifications").get_data(as_text=True)
    assert "Yanti mengonfirmasi Anda sebagai anggota perpustakaan Anda" in told


def test_a_declined_request_leaves_the_member_without_the_library(app, yanti):
    newcomer = app.test_client()
    register(newcomer, library_name=CIBATU, village="Sukamaju")
    asked = waiting_request(app, "siti_cibatu")
    answer = send_form(client_for(app, yanti), f"/libraries/requests/{asked.id}/decline")
    assert answer.status_code == 302
    siti = member(app, "siti_cibatu")
    assert siti.library_id is None and waiting_request(app, "siti_cibatu") is None
    told = newcomer.get("/notifications").get_data(as_text=True)
    assert "tidak mengonfirmasi permintaan Anda bergabung" in told


def test_until_confirmed_the_member_cannot_act_for_the_library(app, yanti, make_thread):
    practice = make_thread(title="Perpustakaan keliling dengan sepeda")
    register(app.test_client(), library_name=CIBATU, village="Sukamaju")
    asked = waiting_request(app, "siti_cibatu")
    library_page = client_for(app).get(f"/libraries/{asked.library_id}").get_data(as_text=True)
    assert "Yanti" in library_page
    assert "Siti Aminah" not in library_page
    with app_db(app) as session:
        siti = session.scalar(sa.select(User).where(User.username == "siti_cibatu"))
        refusal = why_not_adopt(siti, session.get(Thread, practice.id))
    assert refusal is not None and "library" in str(refusal).lower()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("other_library", 403),
        ("facilitator_here", 302),
        ("facilitator_elsewhere", 403),
        ("the_newcomer", 403),
    ],
)
def test_who_may_answer_a_join_request(app, yanti, make_user, who, status):
    people = {
        "other_library": lambda: make_user(library="Perpustakaan Desa Sukamaju"),
        "facilitator_here": lambda: make_user(
            role="facilitator", library=None, scope=["purwakarta"]
        ),
        "facilitator_elsewhere": lambda: make_user(
            role="facilitator", library=None, scope=["provinsi-aceh"]
        ),
    }
    newcomer = app.test_client()
    register(newcomer, library_name=CIBATU, village="Sukamaju")
    asked = waiting_request(app, "siti_cibatu")
    answerer = newcomer if who == "the_newcomer" else client_for(app, people[who]())
    answer = send_form(answerer, f"/libraries/requests/{asked.id}/confirm")
    assert answer.status_code == status
    assert (waiting_request(app, "siti_cibatu") is None) is (status == 302)


def test_without_javascript_a_returned_form_lists_the_kabupaten_libraries_to_pick(app, yanti):
    newcomer = app.test_client()
    refused = register(newcomer, library_name="", confirm="not-the-same")
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "Sudah terdaftar di Purwakarta" in html
    pick = html.split('name="library_pick" value="', 1)[1].split('"', 1)[0]
    assert CIBATU in html.split('id="library_pick"', 1)[1].split("</fieldset>", 1)[0]
    picked = register(newcomer, library_name="", village="", district="", library_pick=pick)
    assert picked.status_code == 302
    assert waiting_request(app, "siti_cibatu").library.name == CIBATU


def test_a_library_of_another_kabupaten_cannot_be_picked(app, make_user):
    elsewhere = make_user(library="Perpustakaan Gampong", regency="aceh-barat", province="aceh")
    with app_db(app) as session:
        library_id = session.get(User, elsewhere.id).library_id
    refused = register(app.test_client(), library_pick=str(library_id))
    assert refused.status_code == 400
    assert count_rows(app, LibraryRequest) == 0


def test_the_kabupaten_libraries_are_offered_as_data_without_members(client, yanti):
    found = client.get("/libraries/registered?regency=purwakarta").json["libraries"]
    assert found == [{"name": CIBATU, "village": "Sukamaju", "district": "Sukatani"}]
    assert client.get("/libraries/registered?regency=aceh-barat").json == {"libraries": []}


def test_a_join_request_in_the_email_digest_links_to_the_requests_page(app, runner, yanti):
    from forum.engagement import service as engagement
    from tests.smtp import smtp_sink

    with app_db(app) as session:
        engagement.save_settings(session.get(User, yanti.id), {"library": (True, True)})
        session.commit()
    register(app.test_client(), library_name=CIBATU, village="Sukamaju")
    with smtp_sink() as sink:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.server_address[1])
        result = runner.invoke(args=["notifications", "send-digest"])
        assert result.exit_code == 0, result.output
        (_sender, recipients, message), *_ = sink.messages
    text = message.get_body(("plain",)).get_content()
    assert recipients == [yanti.email]
    assert "Siti Aminah meminta bergabung dengan perpustakaan Anda" in text
    assert "http://localhost/libraries/requests" in text
