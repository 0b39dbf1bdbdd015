"""Challenges meet practices: link a practice ("coba praktik ini"), and solve a challenge by it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from forum.adoptions.models import PracticeLink
from forum.engagement.models import Notification
from forum.models import Thread
from tests.helpers import app_db
from tests.helpers import client_for
from tests.helpers import count_rows
from tests.helpers import hit_titles
from tests.helpers import main_text
from tests.helpers import send_form


@pytest.fixture
def pair(make_user, make_thread):
    """A challenge (by its author) and a practice from another library."""
    asker = make_user("asker")
    challenge = make_thread(asker, kind="challenge", title="Anak-anak jarang datang membaca")
    practice = make_thread(
        make_user("giver", library="Perpustakaan Desa Cibeber", regency="bandung"),
        title="Dongeng Sabtu di pojok baca",
    )
    return asker, challenge, practice


def titles(client, url):
    return re.findall(r"class=\"thread-title\"><a [^>]+>([^<]+)</a>", main_text(client.get(url)))


@pytest.mark.parametrize(
    "reference", ["{id}", "#{id}", "http://localhost/threads/{id}", "/threads/{id}?page=2"]
)
def test_any_member_links_a_practice_by_number_or_address(app, make_user, pair, reference):
    _asker, challenge, practice = pair
    client = client_for(app, make_user("helper"))
    response = send_form(
        client, f"/threads/{challenge.id}/practices", {"practice": reference.format(id=practice.id)}
    )
    assert response.status_code == 302
    assert practice.title in main_text(client.get(f"/threads/{challenge.id}"))
    # Linking twice keeps one link.
    send_form(client, f"/threads/{challenge.id}/practices", {"practice": str(practice.id)})
    assert count_rows(app, PracticeLink) == 1


@pytest.mark.parametrize("reference", ["", "kemarin", "999999", "/threads/abc"])
def test_what_is_not_a_public_practice_is_400(app, make_user, pair, reference):
    _asker, challenge, _practice = pair
    client = client_for(app, make_user("helper"))
    response = send_form(client, f"/threads/{challenge.id}/practices", {"practice": reference})
    assert response.status_code == 400
    assert count_rows(app, PracticeLink) == 0


def test_a_challenge_cannot_be_linked_as_a_practice_nor_a_practice_get_links(
    app, make_user, pair, make_thread
):
    _asker, challenge, practice = pair
    other = make_thread(kind="challenge", title="Buku rusak kena banjir")
    client = client_for(app, make_user("helper"))
    assert (
        send_form(
            client, f"/threads/{challenge.id}/practices", {"practice": str(other.id)}
        ).status_code
        == 400
    )
    assert (
        send_form(
            client, f"/threads/{practice.id}/practices", {"practice": str(practice.id)}
        ).status_code
        == 404
    )


def test_visitors_are_sent_to_log_in(app, pair):
    _asker, challenge, practice = pair
    response = send_form(
        client_for(app), f"/threads/{challenge.id}/practices", {"practice": str(practice.id)}
    )
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def link(app, make_user, challenge, practice):
    send_form(
        client_for(app, make_user()),
        f"/threads/{challenge.id}/practices",
        {"practice": str(practice.id)},
    )


def test_solved_by_a_practice_is_solved_like_an_accepted_answer(app, make_user, pair, facilitator):
    asker, challenge, practice = pair
    link(app, make_user, challenge, practice)
    visitor = client_for(app)
    assert challenge.title in titles(visitor, "/threads/needs-help")
    client = client_for(app, asker)
    response = send_form(
        client, f"/threads/{challenge.id}/solved-by", {"practice": str(practice.id)}
    )
    assert response.status_code == 302
    with app_db(app) as session:
        row = session.get(Thread, challenge.id)
        assert row.solved_at is not None and row.accepted_post_id is None
    assert challenge.title not in titles(visitor, "/threads/needs-help")
    assert challenge.title in titles(visitor, "/threads?status=solved")
    assert challenge.title not in titles(visitor, "/threads?status=unsolved")
    assert challenge.title in hit_titles(visitor.get("/search?q=status:solved anak"))
    page = main_text(visitor.get(f"/threads/{challenge.id}"))
    assert "Solved by a best practice" in page and practice.title in page
    assert challenge.title in main_text(visitor.get(f"/threads/{practice.id}"))
    # The dashboard counts it as solved.
    dashboard = main_text(client_for(app, facilitator).get("/dashboard"))
    assert "1 of 1" in dashboard  # of challenges solved


def test_only_the_author_or_a_facilitator_solves_and_only_with_a_linked_practice(
    app, make_user, make_thread, pair, facilitator
):
    asker, challenge, practice = pair
    unlinked = make_thread(title="Perpustakaan keliling dengan sepeda")
    link(app, make_user, challenge, practice)
    stranger = client_for(app, make_user("stranger"))
    assert (
        send_form(
            stranger, f"/threads/{challenge.id}/solved-by", {"practice": str(practice.id)}
        ).status_code
        == 403
    )
    owner = client_for(app, asker)
    assert (
        send_form(
            owner, f"/threads/{challenge.id}/solved-by", {"practice": str(unlinked.id)}
        ).status_code
        == 400
    )
    assert (
        send_form(owner, f"/threads/{challenge.id}/solved-by", {"practice": "x"}).status_code == 400
    )
    with app_db(app) as session:
        assert session.get(Thread, challenge.id).solved_at is None
    fani = client_for(app, facilitator)
    assert (
        send_form(
            fani, f"/threads/{challenge.id}/solved-by", {"practice": str(practice.id)}
        ).status_code
        == 302
    )


def test_an_accepted_answer_afterwards_replaces_the_practice(app, make_user, make_reply, pair):
    asker, challenge, practice = pair
    link(app, make_user, challenge, practice)
    owner = client_for(app, asker)
    send_form(owner, f"/threads/{challenge.id}/solved-by", {"practice": str(practice.id)})
    answer = make_reply(challenge, body="Coba undang kader posyandu.")
    send_form(owner, f"/threads/{challenge.id}/solve", {"post_id": str(answer.id)})
    with app_db(app) as session:
        assert session.get(Thread, challenge.id).accepted_post_id == answer.id
        assert session.scalars(sa.select(PracticeLink.solved_at)).one() is None
    page = main_text(client_for(app).get(f"/threads/{challenge.id}"))
    assert "Solved by a best practice" not in page
    # Clearing the answer leaves the challenge unsolved.
    send_form(owner, f"/threads/{challenge.id}/solve", {"post_id": ""})
    with app_db(app) as session:
        assert session.get(Thread, challenge.id).solved_at is None


def test_the_practice_author_and_the_challenge_followers_hear_of_it(app, make_user, pair):
    asker, challenge, practice = pair
    follower = make_user("pengikut")
    send_form(client_for(app, follower), f"/threads/{challenge.id}/follow")
    link(app, make_user, challenge, practice)
    send_form(
        client_for(app, asker), f"/threads/{challenge.id}/solved-by", {"practice": str(practice.id)}
    )
    with app_db(app) as session:
        rows = {(n.user_id, n.action) for n in session.scalars(sa.select(Notification))}
    assert (practice.author_id, "your_practice") in rows
    assert (follower.id, "practice") in rows


def test_a_hidden_practice_is_not_shown_as_linked(app, make_user, pair):
    _asker, challenge, practice = pair
    link(app, make_user, challenge, practice)
    with app_db(app) as session:
        session.get(Thread, practice.id).hidden = True
        session.commit()
    assert practice.title not in main_text(client_for(app).get(f"/threads/{challenge.id}"))
