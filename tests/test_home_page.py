"""The home page leads: a member's region first (their kabupaten/kota, then their province),
each thread in one list only; a newcomer reads what Serambi is, who runs it, how to start."""

from __future__ import annotations

from tests.helpers import client_for
from tests.helpers import main_text


def test_a_member_home_leads_with_their_region_and_shows_each_thread_once(
    app, make_user, make_thread
):
    here = make_user(library="Perpustakaan Desa Sukatani", regency="purwakarta")
    province = make_user(library="Perpustakaan Desa Cileunyi", regency="bandung")
    elsewhere = make_user(library="Perpustakaan Gampong", regency="aceh-barat", province="aceh")
    make_thread(province, title="Lomba mewarnai di Bandung")
    make_thread(here, kind="challenge", title="Rak buku dimakan rayap di Purwakarta")
    make_thread(elsewhere, title="Baca puisi di Aceh Barat")

    html = main_text(client_for(app, here).get("/"))
    near, rest = html.split("Latest best practices", 1)
    assert "In your region: Purwakarta" in near
    # Their kabupaten/kota before the rest of the province, however recent the rest is.
    assert near.index("Rak buku dimakan rayap") < near.index("Lomba mewarnai di Bandung")
    assert "Baca puisi di Aceh Barat" not in near and "Baca puisi di Aceh Barat" in rest
    for title in ("Rak buku dimakan rayap", "Lomba mewarnai di Bandung", "Baca puisi"):
        assert html.count(title) == 1, title


def test_a_member_without_a_library_and_a_visitor_see_no_region_list(app, make_user, make_thread):
    make_thread(title="Pojok baca di balai desa")
    alone = make_user(role="facilitator", library=None)
    for viewer in (alone, None):
        html = main_text(client_for(app, viewer).get("/"))
        assert "In your region" not in html
        assert html.count("Pojok baca di balai desa") == 1


def test_a_newcomer_reads_what_serambi_is_who_runs_it_and_how_to_start(client):
    html = main_text(client.get("/"))
    intro = html.split('<section class="intro">', 1)[1].split("</section>", 1)[0]
    assert "Perpustakaan desa saling belajar" in intro
    assert "program TPBIS Perpustakaan Nasional" in intro and "fasilitator" in intro
    assert intro.count("<li>") == 3 and 'href="/auth/register"' in intro
