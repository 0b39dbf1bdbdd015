"""Meetings: everyone reads them; facilitators record them, link threads and post summaries."""

from __future__ import annotations

import re
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.insight.models import Meeting
from forum.insight.models import MeetingThread
from forum.models import Thread
from tests.helpers import app_db
from tests.helpers import count_rows
from tests.helpers import login_as
from tests.helpers import post_form

NEW_MEETING = {
    "title": "Temu pustakawan desa se-Purwakarta",
    "kind": "peer_learning",
    "starts_on": "2026-03-03",
    "ends_on": "2026-03-04",
    "place": "Aula Dinas Perpustakaan",
    "region": "purwakarta",
    "participants": "42",
    "speakers": "Ibu Rina (Dinas Arpus), Pak Dedi (TPBIS)",
    "summary": "Kami **berbagi** cara menghidupkan pojok baca.",
}


@pytest.fixture
def facilitator(client, make_user):
    """Unlike conftest's facilitator: logged in on ``client`` and reading English."""
    user = make_user("fasilitator", role="facilitator", library=None, locale="en")
    login_as(client, user)
    return user


def record(client, **changes):
    return post_form(client, "/meetings/new", {**NEW_MEETING, **changes}, page="/meetings/new")


def make_meeting(app, creator, **columns) -> int:
    values = dict(
        title="Rapat pemangku kepentingan",
        kind="stakeholder",
        starts_on=date(2026, 2, 10),
        ends_on=date(2026, 2, 10),
        place="Kantor Bupati",
        regency="garut",
        province="jawa-barat",
        participants=12,
        created_by_id=creator.id,
    )
    values.update(columns)
    with app_db(app) as session:
        meeting = Meeting(**values)
        session.add(meeting)
        session.commit()
        return meeting.id


def test_facilitator_records_a_meeting_and_everyone_reads_it(app, client, facilitator):
    response = record(client)
    assert response.status_code == 302
    assert re.fullmatch(r"/meetings/\d+", response.headers["Location"])
    with app_db(app) as session:
        meeting = session.scalar(sa.select(Meeting))
        assert (meeting.regency, meeting.province) == ("purwakarta", "jawa-barat")
        assert (meeting.starts_on, meeting.ends_on) == (date(2026, 3, 3), date(2026, 3, 4))
        assert meeting.participants == 42
        assert meeting.created_by_id == facilitator.id
    visitor = app.test_client()
    html = visitor.get(response.headers["Location"]).get_data(as_text=True)
    assert "Temu pustakawan desa se-Purwakarta" in html
    assert "<strong>berbagi</strong>" in html
    assert "Pak Dedi (TPBIS)" in html
    assert "Purwakarta" in html and "Jawa Barat" in html


def test_one_day_meeting_needs_no_last_day(app, client, facilitator):
    assert record(client, ends_on="").status_code == 302
    with app_db(app) as session:
        meeting = session.scalar(sa.select(Meeting))
        assert meeting.ends_on == meeting.starts_on


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 151}, "title"),
        ({"kind": "arisan"}, "kind"),
        ({"starts_on": ""}, "starts_on"),
        ({"starts_on": "3 Maret 2026"}, "starts_on"),
        ({"starts_on": "2026-02-30"}, "starts_on"),
        ({"ends_on": "2026-03-01"}, "ends_on"),  # before the first day
        ({"place": ""}, "place"),
        ({"region": ""}, "region"),
        ({"region": "jawa-barat"}, "region"),  # a province is not a kabupaten/kota
        ({"participants": "banyak"}, "participants"),
        ({"participants": "0"}, "participants"),
        ({"summary": "x" * 20_001}, "summary"),
        ({"summary": "", "post_summary": "y"}, "summary"),
        (
            {"post_summary": "y", "summary_tags": ",".join(f"t{i}" for i in range(9))},
            "summary_tags",
        ),
    ],
)
def test_invalid_meeting_is_400_with_errors_by_the_fields(app, client, facilitator, changes, field):
    response = record(client, **changes)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert html.count('class="error"') == 1
    if field != "title":
        assert 'value="Temu pustakawan desa se-Purwakarta"' in html  # the text is kept
    assert count_rows(app, Meeting) == 0


def test_meeting_form_without_csrf_token_is_refused(app, client, facilitator):
    assert client.post("/meetings/new", data=NEW_MEETING).status_code == 400
    assert count_rows(app, Meeting) == 0


def test_visitors_are_sent_to_log_in_to_record(app, client, make_user):
    meeting_id = make_meeting(app, make_user(role="facilitator"))
    for path in ["/meetings/new", f"/meetings/{meeting_id}/edit"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login?next=")
    response = post_form(client, f"/meetings/{meeting_id}/threads", {"thread_id": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_librarians_read_but_cannot_record_edit_or_link(app, client, make_user, make_thread):
    meeting_id = make_meeting(app, make_user(role="facilitator"))
    thread = make_thread()
    login_as(client, make_user())
    assert client.get("/meetings").status_code == 200
    html = client.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert "Rapat pemangku kepentingan" in html
    assert "/edit" not in html and 'name="thread_id"' not in html
    assert client.get("/meetings/new").status_code == 403
    assert record(client).status_code == 403
    assert client.get(f"/meetings/{meeting_id}/edit").status_code == 403
    response = post_form(client, f"/meetings/{meeting_id}/threads", {"thread_id": str(thread.id)})
    assert response.status_code == 403
    assert count_rows(app, Meeting) == 1
    assert count_rows(app, MeetingThread) == 0


@pytest.mark.parametrize(
    "path",
    ["/meetings/999", "/meetings/999/edit", f"/meetings/{2**31}", "/meetings/99999999999999"],
)
def test_unknown_meetings_are_404(client, facilitator, path):
    assert client.get(path).status_code == 404


def test_upcoming_and_past_meetings_are_listed_apart(app, client, make_user):
    creator = make_user(role="facilitator")
    today = date.today()
    make_meeting(
        app,
        creator,
        title="Pertemuan yang akan datang",
        starts_on=today + timedelta(days=20),
        ends_on=today + timedelta(days=21),
    )
    make_meeting(
        app,
        creator,
        title="Pertemuan yang sudah lewat",
        starts_on=today - timedelta(days=40),
        ends_on=today - timedelta(days=40),
    )
    html = client.get("/meetings").get_data(as_text=True)
    upcoming, past = html.split('id="past-heading"')
    assert "Pertemuan yang akan datang" in upcoming
    assert "Pertemuan yang sudah lewat" in past
    assert "Pertemuan yang sudah lewat" not in upcoming


def test_facilitator_edits_a_meeting(app, client, facilitator):
    meeting_id = make_meeting(app, facilitator)
    form = client.get(f"/meetings/{meeting_id}/edit").get_data(as_text=True)
    assert 'value="Rapat pemangku kepentingan"' in form
    assert 'value="2026-02-10"' in form
    changed = {**NEW_MEETING, "title": "Rapat pemangku kepentingan (revisi)", "region": "sleman"}
    response = post_form(
        client, f"/meetings/{meeting_id}/edit", changed, page=f"/meetings/{meeting_id}/edit"
    )
    assert response.status_code == 302
    with app_db(app) as session:
        meeting = session.get(Meeting, meeting_id)
        assert meeting.title == "Rapat pemangku kepentingan (revisi)"
        assert (meeting.regency, meeting.province) == ("sleman", "di-yogyakarta")
        assert meeting.updated_at is not None


# --- linking threads --------------------------------------------------------------------


def link(client, meeting_id, thread_ref, relation="discussed"):
    return post_form(
        client,
        f"/meetings/{meeting_id}/threads",
        {"thread_id": thread_ref, "relation": relation},
        page=f"/meetings/{meeting_id}",
    )


@pytest.mark.parametrize("reference", ["{id}", "#{id}", "http://localhost/threads/{id}?page=2"])
def test_facilitator_links_a_thread_by_number_or_address(
    app, client, facilitator, make_thread, reference
):
    meeting_id = make_meeting(app, facilitator)
    thread = make_thread(title="Mengelola donasi buku")
    response = link(client, meeting_id, reference.format(id=thread.id))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/meetings/{meeting_id}#threads"
    meeting_page = client.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert "Mengelola donasi buku" in meeting_page
    thread_page = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    note = re.search(r'<p class="meta meeting-note">(.*?)</p>', thread_page, re.S).group(1)
    assert "Discussed at" in note
    assert f'href="/meetings/{meeting_id}"' in note and "Rapat pemangku kepentingan" in note


def test_thread_note_costs_one_query(app, client, facilitator, make_thread, count_queries):
    thread = make_thread()
    for n in range(3):
        meeting_id = make_meeting(app, facilitator, title=f"Pertemuan ke-{n + 1}")
        assert link(client, meeting_id, str(thread.id), "outcome").status_code == 302
    with count_queries() as statements:
        html = client.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert html.count("meeting-note") == 3
    assert "Came out of the meeting" in html
    assert len([s for s in statements if "meeting_threads" in s]) == 1


@pytest.mark.parametrize(
    ("reference", "prepare"),
    [
        ("", None),
        ("bukan nomor", None),
        ("99999", None),  # no such thread
        ("{id}", "hide"),  # not public
        ("{id}", "link"),  # already linked
    ],
)
def test_bad_links_are_400_with_the_error_by_the_field(
    app, client, facilitator, make_thread, reference, prepare
):
    meeting_id = make_meeting(app, facilitator)
    thread = make_thread()
    if prepare == "hide":
        with app_db(app) as session:
            session.get(Thread, thread.id).hidden = True
            session.commit()
    if prepare == "link":
        assert link(client, meeting_id, str(thread.id)).status_code == 302
    response = link(client, meeting_id, reference.format(id=thread.id))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="thread_id-error"' in html
    if reference:
        assert f'value="{reference.format(id=thread.id)}"' in html
    assert count_rows(app, MeetingThread) == (1 if prepare == "link" else 0)


def test_link_to_unknown_meeting_is_404(client, facilitator, make_thread):
    thread = make_thread()
    response = post_form(client, "/meetings/4242/threads", {"thread_id": str(thread.id)})
    assert response.status_code == 404


def test_linked_thread_hidden_later_is_not_shown_to_members(
    app, client, facilitator, make_user, make_thread
):
    meeting_id = make_meeting(app, facilitator)
    thread = make_thread(title="Utas yang kemudian disembunyikan")
    assert link(client, meeting_id, str(thread.id)).status_code == 302
    with app_db(app) as session:
        session.get(Thread, thread.id).hidden = True
        session.commit()
    member = app.test_client()
    login_as(member, make_user())
    assert "Utas yang kemudian disembunyikan" not in member.get(f"/meetings/{meeting_id}").get_data(
        as_text=True
    )
    assert "0 linked threads" not in member.get("/meetings").get_data(as_text=True)


# --- the summary as a thread ------------------------------------------------------------


def test_summary_is_posted_as_a_linked_practice_in_one_step(app, client, facilitator):
    response = record(client, post_summary="y", summary_tags="Temu Pustakawan, pojok baca")
    assert response.status_code == 302
    meeting_url = response.headers["Location"]
    with app_db(app) as session:
        thread = session.scalar(sa.select(Thread))
        link_row = session.scalar(sa.select(MeetingThread))
        assert thread.kind == "practice"
        assert thread.title == "Meeting summary: Temu pustakawan desa se-Purwakarta"
        assert [t.name for t in thread.tags] == ["pojok-baca", "temu-pustakawan"]
        assert (thread.regency, thread.province) == ("purwakarta", "jawa-barat")
        assert thread.author_id == facilitator.id
        assert "Kami **berbagi** cara menghidupkan pojok baca." in thread.opening_post.body
        assert (link_row.thread_id, link_row.relation) == (thread.id, "summary")
        thread_id = thread.id
    assert f"/threads/{thread_id}" in client.get(meeting_url).get_data(as_text=True)
    html = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    assert "Summary of the meeting" in html
    # Posted through create_thread, so it is searchable like any thread.
    assert f"/threads/{thread_id}" in client.get("/search?q=menghidupkan").get_data(as_text=True)
    edit = client.get(meeting_url + "/edit").get_data(as_text=True)
    assert 'name="post_summary"' not in edit  # posted once


def test_summary_cannot_be_posted_twice(app, client, facilitator):
    meeting_url = record(client, post_summary="y").headers["Location"]
    response = post_form(
        client,
        meeting_url + "/edit",
        {**NEW_MEETING, "post_summary": "y"},
        page=meeting_url + "/edit",
    )
    assert response.status_code == 400
    assert 'id="post_summary-error"' in response.get_data(as_text=True)
    assert count_rows(app, Thread) == 1


def test_suspended_facilitator_cannot_record(app, client, make_user):
    user = make_user(role="facilitator", suspended_until=datetime.now(UTC) + timedelta(days=3))
    login_as(client, user)
    assert record(client).status_code == 403
    assert count_rows(app, Meeting) == 0
