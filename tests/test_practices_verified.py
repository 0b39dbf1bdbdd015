"""Verified practices: facilitators mark them, everyone sees the badge, search lifts them."""

from __future__ import annotations

import sqlalchemy as sa

from forum.adoptions.models import Adoption
from forum.models import Post
from forum.models import Thread
from forum.models import utcnow
from forum.practices.models import VerificationRevision
from tests.helpers import ON_EVERY_SEARCH_BACKEND
from tests.helpers import app_db
from tests.helpers import client_for
from tests.helpers import hit_titles
from tests.helpers import main_text
from tests.helpers import send_form

SUMMARY = "Berhasil untuk anak SD; biaya sekitar Rp100.000 untuk rak."


def verify(client, thread, summary=SUMMARY):
    return send_form(client, f"/threads/{thread.id}/verify", {"summary": summary})


def test_only_facilitators_verify(app, make_user, make_thread, facilitator):
    practice = make_thread(title="Pojok baca di pos ronda")
    visitor = client_for(app)
    response = verify(visitor, practice)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert verify(client_for(app, make_user()), practice).status_code == 403
    assert "Verified" not in main_text(visitor.get(f"/threads/{practice.id}"))

    fani = client_for(app, facilitator)
    assert verify(fani, practice).status_code == 302
    page = main_text(visitor.get(f"/threads/{practice.id}"))
    assert 'class="verification"' in page
    assert "Berhasil untuk anak SD" in page and "Verified by Fani Fasilitator" in page


def test_verify_refuses_challenges_empty_summaries_and_unknown_threads(
    app, make_thread, facilitator
):
    fani = client_for(app, facilitator)
    challenge = make_thread(kind="challenge", title="Buku tidak dikembalikan")
    assert verify(fani, challenge).status_code == 400
    practice = make_thread()
    response = verify(fani, practice, summary="   ")
    assert response.status_code == 400 and "This field is required" in main_text(response)
    assert verify(fani, practice, summary="x" * 5001).status_code == 400
    assert verify(fani, type("T", (), {"id": 999_999})()).status_code == 404
    assert send_form(fani, "/threads/999999/unverify").status_code == 404
    with app_db(app) as session:
        assert session.get(Thread, practice.id).verification is None


def test_the_summary_keeps_its_earlier_versions(app, make_thread, facilitator):
    practice = make_thread()
    fani = client_for(app, facilitator)
    verify(fani, practice, "Versi pertama ringkasan.")
    verify(fani, practice, "Versi kedua ringkasan.")
    verify(fani, practice, "Versi kedua ringkasan.")  # unchanged: no new version
    with app_db(app) as session:
        kept = session.scalars(sa.select(VerificationRevision.body)).all()
    assert kept == ["Versi pertama ringkasan."]
    page = main_text(fani.get(f"/threads/{practice.id}/verify"))
    assert "Versi kedua ringkasan." in page  # the form holds the current summary
    assert "Earlier summaries" in page and "Versi pertama ringkasan." in page


def test_unverify_takes_the_badge_away_and_verify_again_continues(
    app, make_user, make_thread, facilitator
):
    practice = make_thread(title="Motor pustaka keliling")
    fani = client_for(app, facilitator)
    verify(fani, practice)
    visitor = client_for(app)
    assert "badge verified" in main_text(visitor.get("/threads?kind=practice"))
    assert (
        send_form(client_for(app, make_user()), f"/threads/{practice.id}/unverify").status_code
        == 403
    )
    assert send_form(fani, f"/threads/{practice.id}/unverify").status_code == 302
    assert "badge verified" not in main_text(visitor.get("/threads?kind=practice"))
    assert "Motor pustaka keliling" not in main_text(visitor.get("/practices/verified"))
    verify(fani, practice, "Ringkasan baru.")
    assert "Motor pustaka keliling" in main_text(visitor.get("/practices/verified"))


def test_the_verified_page_lists_only_visible_verified_practices(app, make_thread, facilitator):
    fani = client_for(app, facilitator)
    shown = make_thread(title="Lapak baca lansia")
    hidden = make_thread(title="Pojok baca rahasia")
    make_thread(title="Kelas komputer malam")  # not verified
    verify(fani, shown)
    verify(fani, hidden)
    with app_db(app) as session:
        session.get(Thread, hidden.id).hidden = True
        session.commit()
    page = main_text(client_for(app).get("/practices/verified"))
    assert "Lapak baca lansia" in page
    assert "Pojok baca rahasia" not in page and "Kelas komputer malam" not in page


@ON_EVERY_SEARCH_BACKEND
def test_verified_practices_rank_first_among_comparable_results(app, make_thread, facilitator):
    plain = make_thread(title="Kegiatan mendongeng mendongeng di balai desa", body="Anak-anak.")
    verified = make_thread(title="Kegiatan mendongeng di balai desa", body="Anak-anak.")
    much_better = make_thread(
        title="Mendongeng wayang untuk anak", body="Kegiatan mendongeng dengan wayang."
    )
    visitor = client_for(app)
    assert hit_titles(visitor.get("/search?q=mendongeng+desa"))[0] == plain.title

    verify(client_for(app, facilitator), verified)
    titles = hit_titles(visitor.get("/search?q=mendongeng+desa"))
    assert titles[:2] == [verified.title, plain.title]
    assert "badge verified" in main_text(visitor.get("/search?q=mendongeng+desa"))
    # A boost, not a pin: a result matching more of the query still ranks above it.
    assert hit_titles(visitor.get("/search?q=mendongeng+wayang"))[0] == much_better.title


def test_the_verified_page_shows_what_worked_and_how_far_each_practice_spread(
    app, make_user, make_thread, facilitator
):
    practice = make_thread(title="Lapak baca lansia")
    verify(client_for(app, facilitator), practice, "**Berhasil:** lansia datang tiap bulan.")
    tried = {"started_on": "2026-11-02", "adapted": "Di posbindu."}
    for username, regency, status in [
        ("sri", "banyumas", "running"),
        ("ilham", "gowa", "trying"),
        ("baiq", "lombok-timur", "planned"),  # only planned: not tried yet
        ("tono", "garut", "running"),  # its story gets hidden
    ]:
        member = make_user(
            username,
            library=f"Perpustakaan {username}",
            regency=regency,
            email_confirmed_at=utcnow(),
        )
        response = send_form(
            client_for(app, member),
            f"/threads/{practice.id}/adoptions",
            {**tried, "status": status},
        )
        assert response.status_code == 302
    with app_db(app) as session:
        story = session.scalars(
            sa.select(Adoption.post_id).where(Adoption.regency == "garut")
        ).one()
        session.get(Post, story).hidden = True
        session.commit()
    page = main_text(client_for(app).get("/practices/verified"))
    assert "Berhasil:" in page and "lansia datang tiap bulan." in page
    assert "Tried in 2 libraries in 2 kabupaten/kota" in page
