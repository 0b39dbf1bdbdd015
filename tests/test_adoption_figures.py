"""The dashboard's figures on how practices spread, and the exports and report that carry them."""

from __future__ import annotations

import csv
import io
from datetime import date
from datetime import timedelta
from io import BytesIO

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from forum.adoptions.models import Adoption
from forum.models import Post
from forum.models import Thread
from forum.models import utcnow
from tests.helpers import app_db
from tests.helpers import client_for
from tests.helpers import main_text
from tests.helpers import send_form

TODAY = date.today()
RECENT = {
    "from": (TODAY - timedelta(days=60)).isoformat(),
    "to": (TODAY + timedelta(days=1)).isoformat(),
}


@pytest.fixture
def spread(app, make_user, make_thread, facilitator):
    """Two practices from Purwakarta: the first tried in Garut and Bandung, the second in Garut.

    A hidden practice tried in Bandung and a hidden story in Gianyar must not count.
    """

    def member(name, library, regency, province="jawa-barat"):
        user = make_user(
            name, library=library, regency=regency, province=province, email_confirmed_at=utcnow()
        )
        return client_for(app, user)

    source = make_user("sumber")
    first = make_thread(
        source,
        title="Dongeng Sabtu di pojok baca",
        context="Anak jarang membaca.",
        tips="Mulai kecil.",
    )
    second = make_thread(source, title="Perpustakaan keliling dengan sepeda")
    hidden = make_thread(source, title="Praktik yang disembunyikan")
    garut = member("garut1", "Perpustakaan Desa Cikajang", "garut")
    bandung = member("bandung1", "Perpustakaan Desa Ciwidey", "bandung")
    bali = member("bali1", "Perpustakaan Desa Ubud", "gianyar", "bali")
    form = {"status": "trying", "started_on": "2026-11-02", "adapted": "Hari Minggu."}
    for client, thread in [
        (garut, first),
        (bandung, first),
        (garut, second),
        (bandung, hidden),
        (bali, second),
    ]:
        assert send_form(client, f"/threads/{thread.id}/adoptions", form).status_code == 302
    with app_db(app) as session:
        session.get(Thread, hidden.id).hidden = True
        story = session.scalar(
            sa.select(Adoption.post_id).join(Adoption.library).where(Adoption.regency == "gianyar")
        )
        session.get(Post, story).hidden = True
        session.commit()
    return client_for(app, facilitator), first, second


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_dashboard_counts_visible_adoptions_only(spread):
    client, first, second = spread
    page = main_text(client.get("/dashboard", query_string=RECENT))
    section = page.split('id="spread-heading"', 1)[1]
    values = [v.split("</span>")[0] for v in section.split('<span class="value">')[1:4]]
    assert values == ["3", "2", "2"]  # adoptions, practices tried, kabupaten reached
    assert section.index(first.title) < section.index(second.title)  # most tried first
    assert "Praktik yang disembunyikan" not in section


def test_region_filter_counts_the_trying_libraries_region(spread):
    client, first, _second = spread
    page = main_text(client.get("/dashboard", query_string={**RECENT, "region": "bandung"}))
    section = page.split('id="spread-heading"', 1)[1]
    values = [v.split("</span>")[0] for v in section.split('<span class="value">')[1:4]]
    assert values == ["1", "1", "1"]


def test_exports_carry_the_spread_and_the_adoptions(spread):
    client, first, second = spread
    figures = {
        row[1]: row[2]
        for row in rows_of(
            client.get("/dashboard/export.csv", query_string={**RECENT, "table": "figures"})
        )
    }
    assert figures["Adoptions recorded (planned ones too)"] == "3"
    assert figures["Practices tried by another library"] == "2"
    assert figures["Kabupaten/kota reached"] == "2"
    assert figures[first.title] == "2, 2"
    adoptions = rows_of(
        client.get("/dashboard/export.csv", query_string={**RECENT, "table": "adoptions"})
    )
    assert sorted(row[0] for row in adoptions[1:]) == sorted(
        [first.title, first.title, second.title]
    )
    assert all("Praktik yang disembunyikan" not in cell for row in adoptions for cell in row)
    with client.get("/dashboard/export.xlsx", query_string=RECENT) as response:
        workbook = load_workbook(BytesIO(response.data))
    assert workbook["Adoptions"].max_row == 1 + 3


def test_practices_export_and_report_carry_the_report_sections(spread):
    client, first, _second = spread
    rows = rows_of(
        client.get("/dashboard/export.csv", query_string={**RECENT, "table": "practices"})
    )
    header = rows[0]
    for label in (
        "Background",
        "What was done",
        "Results and impact",
        "Resources",
        "Participants",
        "Tips",
    ):
        assert label in header
    row = next(row for row in rows if row[2] == first.title)
    assert row[header.index("Background")] == "Anak jarang membaca."
    assert row[header.index("Tips")] == "Mulai kecil."
    assert all("Praktik yang disembunyikan" not in r[2] for r in rows)
    report = main_text(client.get("/dashboard/report", query_string=RECENT))
    practices = report.split('id="practices-heading"', 1)[1]
    assert first.title in practices and "Anak jarang membaca." in practices
    assert "Praktik yang disembunyikan" not in report


def test_adoption_chart_is_an_svg_image(spread):
    client, _first, _second = spread
    response = client.get("/dashboard/charts/adoptions.svg", query_string=RECENT)
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert b"<script" not in response.data
