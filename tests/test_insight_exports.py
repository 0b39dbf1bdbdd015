"""Exports for programme reports: the rows, no personal data, no live formulas, real XLSX."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from tests import test_insight_dashboard as dashboard_tests
from tests.helpers import PERIOD
from tests.helpers import at

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


# The same hand-counted community as the dashboard's tests.
community = dashboard_tests.community
facilitator_client = dashboard_tests.facilitator_client


def export_csv(client, table: str, **params) -> list[list[str]]:
    response = client.get(
        "/dashboard/export.csv", query_string={**PERIOD, "table": table, **params}
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def export_xlsx(client, **params):
    with client.get("/dashboard/export.xlsx", query_string={**PERIOD, **params}) as response:
        assert response.status_code == 200
        assert response.mimetype.endswith("spreadsheetml.sheet")
        data = response.get_data()
    return load_workbook(io.BytesIO(data))


@pytest.mark.parametrize(
    ("table", "region", "rows"),
    [
        ("threads", None, 7),  # T1-T6 and T11: public, in the period
        ("practices", None, 2),  # T1, T6
        ("meetings", None, 1),  # Purwakarta, November 2025
        ("threads", "provinsi-jawa-barat", 5),  # T1, T2, T3, T5, T11
        ("threads", "sleman", 2),  # T4, T6
        ("meetings", "sleman", 0),  # Sleman's meeting is after the period
    ],
)
def test_csv_rows_follow_period_and_region(facilitator_client, table, region, rows):
    params = {"region": region} if region else {}
    found = export_csv(facilitator_client, table, **params)
    assert len(found) == 1 + rows


def test_thread_rows_carry_the_counted_values(facilitator_client, community):
    header, *rows = export_csv(facilitator_client, "threads")
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    t2 = by_id[str(community.threads[2].id)]
    assert t2["Replies"] == "2"
    assert t2["First reply by another member"] == "2025-09-01 15:00"  # 08:00 UTC in WIB
    assert t2["Solved at"] == "2025-09-02 12:00"
    assert t2["Kabupaten/kota"] == "Purwakarta"
    t3 = by_id[str(community.threads[3].id)]
    assert t3["First reply by another member"] == "2025-10-01 17:00"  # a1, not b1's own
    assert sorted(by_id[str(community.threads[4].id)]["Tags"].split(", ")) == [
        "dana-desa",
        "literasi-anak",
    ]


def test_exports_contain_no_email_addresses(app, facilitator_client, make_user, make_thread):
    author = make_user("surel", display_name="Bu Surel")
    make_thread(
        author,
        title="Hubungi saya di surel@contoh.id ya",
        created_at=at("2026-01-15 05:00"),
    )
    texts = []
    for table in ("figures", "threads", "practices", "meetings"):
        texts.append(repr(export_csv(facilitator_client, table)))
    workbook = export_xlsx(facilitator_client)
    for sheet in workbook.worksheets:
        texts.append(repr([[cell for cell in row] for row in sheet.iter_rows(values_only=True)]))
    workbook.close()
    everything = "\n".join(texts)
    assert "Bu Surel" in everything  # display names are fine
    assert EMAIL.findall(everything) == []
    assert "Hubungi saya di [e-mail] ya" in everything
    assert "anggota_a1" not in everything  # no usernames either


@pytest.mark.parametrize(
    "title", ['=HYPERLINK("http://x")', "+62 812 pojok", "-1 buku", "@SUM(A1)"]
)
def test_formula_like_text_is_defused(facilitator_client, make_user, make_thread, title):
    make_thread(make_user(), title=title, created_at=at("2026-01-20 05:00"))
    rows = export_csv(facilitator_client, "threads")
    assert ["'" + title] == [row[2] for row in rows if row[2].endswith(title)]
    workbook = export_xlsx(facilitator_client)
    titles = [row[2] for row in workbook["Threads"].iter_rows(min_row=2, values_only=True)]
    workbook.close()
    assert "'" + title in titles
    assert title not in titles


def test_xlsx_opens_with_a_sheet_per_table(facilitator_client):
    workbook = export_xlsx(facilitator_client, region="provinsi-jawa-barat")
    assert workbook.sheetnames == ["Figures", "Threads", "Best practices", "Adoptions", "Meetings"]
    figures = {row[1]: row[2] for row in workbook["Figures"].iter_rows(values_only=True)}
    assert figures["Challenges posted"] == 4
    assert figures["Replies"] == 5
    assert figures["Median hours to the first reply"] == 5.0
    assert workbook["Threads"].max_row == 1 + 5
    assert workbook["Best practices"].max_row == 1 + 1
    assert workbook["Meetings"].max_row == 1 + 1
    workbook.close()


def test_unknown_table_is_400(facilitator_client):
    response = facilitator_client.get("/dashboard/export.csv", query_string={"table": "users"})
    assert response.status_code == 400


def test_csv_streams_from_a_generator(facilitator_client):
    response = facilitator_client.get(
        "/dashboard/export.csv", query_string={**PERIOD, "table": "threads"}, buffered=False
    )
    assert response.is_streamed
    chunks = list(response.response)
    response.close()
    assert len(chunks) >= 2  # the header goes out before the rows are read
    assert b"".join(chunks).count(b"\n") == 1 + 7
