"""Partners: organisations offer support on challenges that ask for it (issue 21)."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from forum.engagement.models import Notification
from forum.extensions import db
from forum.insight.aggregates import local_day
from forum.insight.figures import Period
from forum.models import Thread
from forum.models import User
from forum.partners import service
from forum.partners.figures import support_figures
from forum.partners.models import Offer
from forum.partners.models import Partner
from forum.partners.models import SupportRequest
from forum.regions import Region
from tests.helpers import app_db
from tests.helpers import client_for
from tests.helpers import main_text
from tests.helpers import send_form

OFFER = {"kind": "buku", "what": "40 buku cerita anak", "when": "Januari 2027"}


@pytest.fixture
def make_partner(app, make_user):
    """A partner organisation with one member account; returns the member (detached)."""
    counter = iter(range(1, 1000))

    def make(name=None, kind="perusahaan", username=None):
        n = next(counter)
        with app.app_context():
            partner = service.create_partner(
                None, name or f"CSR Contoh {n}", kind, ["purwakarta", "provinsi-jawa-barat"]
            )
            db.session.commit()
            partner_id = partner.id
        return make_user(
            username or f"mitra{n}",
            role="partner",
            library=None,
            partner_id=partner_id,
            display_name=f"Mitra {n}",
        )

    return make


@pytest.fixture
def challenge(app, make_user, make_thread):
    """A librarian's challenge that asks for books and funds."""
    author = make_user("asep_sukatani", display_name="Asep")
    thread = make_thread(
        author,
        kind="challenge",
        title="Koleksi buku anak sangat sedikit",
        tried="Meminta sumbangan warga.",
    )
    with app_db(app) as session:
        service.set_needs(
            session.get(User, author.id),
            session.get(Thread, thread.id),
            ["buku", "dana"],
            "50 buku cerita",
        )
        session.commit()
    return thread, author


def _offer(app, partner, thread, **fields) -> Offer:
    client = client_for(app, partner)
    response = send_form(client, f"/threads/{thread.id}/offers", {**OFFER, **fields})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    with app_db(app) as session:
        offer = session.scalars(sa.select(Offer).order_by(Offer.id.desc())).first()
        session.expunge(offer)
        return offer


def _status(app, offer_id) -> str:
    with app_db(app) as session:
        return session.get(Offer, offer_id).status


def test_only_partners_make_offers(app, challenge, make_partner, make_user):
    thread, author = challenge
    librarian = client_for(app, make_user())
    assert send_form(librarian, f"/threads/{thread.id}/offers", OFFER).status_code == 403
    assert librarian.get(f"/threads/{thread.id}/offers/new").status_code == 403
    visitor = client_for(app)
    response = send_form(visitor, f"/threads/{thread.id}/offers", OFFER)
    assert response.status_code == 302 and "/auth/login" in response.location
    with app_db(app) as session:
        assert session.scalar(sa.select(sa.func.count(Offer.id))) == 0
    offer = _offer(app, make_partner(name="Pemerintah Desa Sukatani"), thread)
    assert (offer.kind, offer.status, offer.when) == ("buku", "offered", "Januari 2027")
    page = client_for(app).get(f"/threads/{thread.id}").get_data(as_text=True)
    assert "40 buku cerita anak" in page and "Pemerintah Desa Sukatani" in page


def test_an_offer_with_a_missing_field_is_a_form_error(app, challenge, make_partner):
    thread, _author = challenge
    client = client_for(app, make_partner())
    response = send_form(client, f"/threads/{thread.id}/offers", {**OFFER, "when": ""})
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["other_librarian", "partner", "facilitator_elsewhere"])
def test_only_the_author_or_an_in_scope_facilitator_answers_an_offer(
    app, challenge, make_partner, make_user, who
):
    thread, _author = challenge
    partner = make_partner()
    offer = _offer(app, partner, thread)
    strangers = {
        "other_librarian": lambda: make_user(),
        "partner": lambda: partner,
        "facilitator_elsewhere": lambda: make_user(
            role="facilitator", library=None, scope=["kota-bandung"]
        ),
    }
    stranger = strangers[who]()
    response = send_form(client_for(app, stranger), f"/offers/{offer.id}/accept")
    assert response.status_code == 403
    assert _status(app, offer.id) == "offered"


def test_the_author_accepts_and_a_facilitator_declines(app, challenge, make_partner, facilitator):
    thread, author = challenge
    partner = make_partner()
    first, second = _offer(app, partner, thread), _offer(app, partner, thread, kind="dana")
    assert send_form(client_for(app, author), f"/offers/{first.id}/accept").status_code == 302
    response = send_form(
        client_for(app, facilitator), f"/offers/{second.id}/decline", {"note": "Sudah ada."}
    )
    assert response.status_code == 302
    assert _status(app, first.id) == "accepted"
    with app_db(app) as session:
        declined = session.get(Offer, second.id)
        assert (declined.status, declined.note) == ("declined", "Sudah ada.")
    # Answered once: a second answer changes nothing.
    send_form(client_for(app, author), f"/offers/{first.id}/decline")
    assert _status(app, first.id) == "accepted"


def test_a_declined_offer_notifies_the_partner(app, challenge, make_partner):
    thread, author = challenge
    partner = make_partner()
    offer = _offer(app, partner, thread)
    send_form(client_for(app, author), f"/offers/{offer.id}/decline", {"note": "Terima kasih"})
    with app_db(app) as session:
        notes = session.execute(
            sa.select(Notification.user_id, Notification.kind, Notification.action)
        ).all()
    assert (author.id, "support", "offer_made") in notes
    assert (partner.id, "support", "offer_declined") in notes
    page = client_for(app, partner).get("/notifications").get_data(as_text=True)
    assert "declined your offer" in page


def _board(app, **params) -> str:
    return main_text(client_for(app).get("/support", query_string=params))


def test_a_delivered_offer_closes_the_need(app, challenge, make_partner):
    thread, author = challenge
    partner = make_partner()
    assert thread.title in _board(app, kind="buku")
    offer = _offer(app, partner, thread)
    send_form(client_for(app, author), f"/offers/{offer.id}/accept")
    # Not delivered yet: still open.
    assert thread.title in _board(app, kind="buku")
    assert send_form(client_for(app, partner), f"/offers/{offer.id}/delivered").status_code == 302
    assert _status(app, offer.id) == "delivered"
    assert thread.title not in _board(app, kind="buku")
    # The challenge still needs funds: it stays on the board for that.
    assert thread.title in _board(app, kind="dana")
    assert thread.title in _board(app)


def test_only_an_accepted_offer_is_marked_delivered(app, challenge, make_partner):
    thread, _author = challenge
    partner = make_partner()
    offer = _offer(app, partner, thread)
    send_form(client_for(app, partner), f"/offers/{offer.id}/delivered")
    assert _status(app, offer.id) == "offered"


def test_the_board_filters_by_region_and_waits_longest_first(
    app, challenge, make_user, make_thread
):
    thread, _author = challenge
    other = make_user(regency="kota-bandung", library="Perpustakaan Kota")
    later = make_thread(other, kind="challenge", title="Butuh narasumber mendongeng")
    with app_db(app) as session:
        service.set_needs(
            session.get(User, other.id), session.get(Thread, later.id), ["narasumber"], ""
        )
        session.commit()
    everything = _board(app)
    assert everything.index(thread.title) < everything.index(later.title)
    assert "Meminta sumbangan warga" in everything  # what was tried
    assert later.title not in _board(app, region="purwakarta")
    assert thread.title in _board(app, region="provinsi-jawa-barat")
    assert client_for(app).get("/support?region=atlantis").status_code == 400


def _day_of(app, thread):
    """The challenge's local day in Jakarta (the dashboard's days), not its UTC date:
    between 17:00 and 24:00 UTC the two differ."""
    with app_db(app) as session:
        return local_day(session.get(Thread, thread.id).created_at, "Asia/Jakarta")


def _figures(app, thread):
    day = _day_of(app, thread)
    with app.app_context():
        return support_figures(Period(day, day, Region()))


def _totals(app, thread) -> tuple[int, int]:
    figures = _figures(app, thread)
    return figures.total.needs, figures.total.offers


def _support_export(app, facilitator, thread) -> tuple[str, str]:
    """Needs posted and offers made in all, as the figures export of the challenge's day says."""
    day = _day_of(app, thread).isoformat()
    response = client_for(app, facilitator).get(
        f"/dashboard/export.csv?table=figures&from={day}&to={day}"
    )
    assert response.status_code == 200
    rows = csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))
    values = {(section, figure): value for section, figure, value, *_rest in rows}
    return (
        values[("Support needs posted", "All kinds")],
        values[("Offers of support made", "All kinds")],
    )


def test_hidden_challenges_are_not_on_the_board_or_in_the_figures(
    app, challenge, make_partner, facilitator
):
    thread, _author = challenge
    _offer(app, make_partner(), thread)
    assert _totals(app, thread) == (2, 1)  # counted while it is public
    assert _support_export(app, facilitator, thread) == ("2", "1")
    with app_db(app) as session:
        session.get(Thread, thread.id).hidden = True
        session.commit()
    assert thread.title not in _board(app)
    assert _totals(app, thread) == (0, 0)
    assert _support_export(app, facilitator, thread) == ("0", "0")


def test_figures_count_needs_and_offers_per_kind_and_region(app, challenge, make_partner):
    thread, author = challenge
    partner = make_partner()
    offer = _offer(app, partner, thread)
    send_form(client_for(app, author), f"/offers/{offer.id}/accept")
    send_form(client_for(app, author), f"/offers/{offer.id}/delivered")
    figures = _figures(app, thread)
    assert (figures.total.needs, figures.total.offers) == (2, 1)
    assert (figures.total.accepted, figures.total.delivered) == (1, 1)
    books = next(row for row in figures.by_kind if row.key == "buku")
    assert (books.needs, books.offers, books.delivered) == (1, 1, 1)
    assert [(row.key, row.needs) for row in figures.by_region] == [("jawa-barat", 2)]


def test_partners_see_no_private_pages_or_moderation_tools(
    app, challenge, make_partner, make_thread
):
    thread, _author = challenge
    partner = client_for(app, make_partner())
    for page in ("/dashboard", "/mod/flags", "/mod/log", "/admin/partners"):
        assert partner.get(page).status_code == 403, page
    hidden = make_thread(title="Tantangan yang disembunyikan", hidden=True)
    assert partner.get(f"/threads/{hidden.id}").status_code == 404
    page = partner.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert f"/mod/threads/{thread.id}/lock" not in page
    assert "/mod/flags" not in page and "/dashboard" not in page
    assert send_form(partner, f"/mod/threads/{thread.id}/lock").status_code == 403


def test_a_partner_replies_with_the_organisation_beside_the_name(app, challenge, make_partner):
    thread, _author = challenge
    partner = make_partner(name="Dinas Perpustakaan Purwakarta", kind="dinas")
    client = client_for(app, partner)
    response = send_form(client, f"/threads/{thread.id}/replies", {"body": "Kami bisa bantu."})
    assert response.status_code == 302
    page = client_for(app).get(f"/threads/{thread.id}").get_data(as_text=True)
    assert "Dinas Perpustakaan Purwakarta" in page


def test_the_challenge_form_asks_for_support_and_its_author_edits_it(app, make_user):
    author = make_user()
    client = client_for(app, author)
    response = send_form(
        client,
        "/threads/new",
        {
            "kind": "challenge",
            "title": "Tidak ada internet di perpustakaan",
            "body": "Kami ingin membuka kelas komputer.",
            "needs": ["internet", "peralatan"],
            "needs_description": "Modem dan dua laptop",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    with app_db(app) as session:
        request = session.scalar(sa.select(SupportRequest))
        assert (request.kinds, request.description) == (
            ["peralatan", "internet"],
            "Modem dan dua laptop",
        )
        thread_id = request.thread_id
    edit = client.get(f"/threads/{thread_id}/edit").get_data(as_text=True)
    assert 'value="internet" checked' in edit
    fields = {"title": "Tidak ada internet di perpustakaan", "body": "Kami ingin kelas komputer."}
    send_form(client, f"/threads/{thread_id}/edit", {**fields, "needs": ["internet"]})
    with app_db(app) as session:
        assert session.get(SupportRequest, thread_id).kinds == ["internet"]
    other = client_for(app, make_user())
    response = send_form(other, f"/threads/{thread_id}/edit", {**fields, "needs": ["dana"]})
    assert response.status_code == 403


def test_a_stakeholder_meeting_lists_its_commitments(app, challenge, make_partner, facilitator):
    from datetime import date

    from forum.insight import service as insight

    thread, _author = challenge
    with app_db(app) as session:
        meeting = insight.create_meeting(
            session.get(User, facilitator.id),
            insight.MeetingDetails(
                title="Rapat pemangku kepentingan Purwakarta",
                kind="stakeholder",
                starts_on=date(2026, 11, 20),
                ends_on=None,
                place="Balai Desa",
                regency="purwakarta",
                participants=30,
            ),
        )
        session.commit()
        meeting_id = meeting.id
    _offer(app, make_partner(name="PT Contoh Sejahtera"), thread, meeting=str(meeting_id))
    page = client_for(app).get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert "PT Contoh Sejahtera" in page and "40 buku cerita anak" in page


def test_an_admin_records_a_partner_organisation(app, make_user, facilitator):
    admin = make_user("admin", role="admin", library=None)
    data = {"name": "Universitas Contoh", "kind": "perguruan-tinggi", "regions": ["purwakarta"]}
    assert send_form(client_for(app, facilitator), "/admin/partners", data).status_code == 403
    assert send_form(client_for(app, admin), "/admin/partners", data).status_code == 302
    bad = send_form(client_for(app, admin), "/admin/partners", {**data, "regions": ["atlantis"]})
    assert bad.status_code == 400
    with app_db(app) as session:
        assert session.scalar(sa.select(Partner.regions)) == "purwakarta"


def test_users_create_links_a_partner_member(app, runner):
    with app_db(app) as session:
        partner = service.create_partner(None, "Pemerintah Desa Sukamaju", "pemerintah-desa", [])
        session.commit()
        partner_id = partner.id
    base = ["users", "create", "budi", "--email", "budi@contoh.id", "--password", "rahasia-123"]
    assert runner.invoke(args=[*base, "--partner", str(partner_id)]).exit_code != 0
    assert runner.invoke(args=[*base, "--role", "partner"]).exit_code != 0
    assert runner.invoke(args=[*base, "--role", "partner", "--partner", "999"]).exit_code != 0
    result = runner.invoke(args=[*base, "--role", "partner", "--partner", str(partner_id)])
    assert result.exit_code == 0, result.output
    with app_db(app) as session:
        user = session.scalar(sa.select(User).where(User.username == "budi"))
        assert (user.role, user.partner_id) == ("partner", partner_id)


def test_a_facilitator_of_the_region_changes_what_a_challenge_asks_for(app, challenge, make_user):
    thread, _author = challenge
    fields = {"title": thread.title, "body": "Koleksi buku anak kami sangat sedikit."}
    elsewhere = make_user(role="facilitator", library=None, scope=["sumedang"])
    response = send_form(
        client_for(app, elsewhere), f"/threads/{thread.id}/edit", {**fields, "needs": ["tempat"]}
    )
    assert response.status_code == 403
    with app_db(app) as session:
        assert session.get(SupportRequest, thread.id).kinds == ["dana", "buku"]
    regional = make_user(role="facilitator", library=None, scope=["purwakarta"])
    response = send_form(
        client_for(app, regional), f"/threads/{thread.id}/edit", {**fields, "needs": ["buku"]}
    )
    assert response.status_code == 302
    with app_db(app) as session:
        assert session.get(SupportRequest, thread.id).kinds == ["buku"]
