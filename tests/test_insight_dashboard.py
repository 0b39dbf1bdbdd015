"""The programme dashboard: figures counted by hand, who may see it, charts and its cost.

``build_community`` makes a small community with known timestamps; the numbers
in the tests were counted from its description, not read from the code.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest

from forum.insight.models import Meeting
from forum.models import Thread
from tests.helpers import PERIOD
from tests.helpers import app_db
from tests.helpers import at
from tests.helpers import login_as
from tests.helpers import main_text

SVG = "{http://www.w3.org/2000/svg}svg"
DASHBOARD_PATHS = [
    "/dashboard",
    "/dashboard/report",
    "/dashboard/charts/weekly.svg",
    "/dashboard/export.csv",
    "/dashboard/export.xlsx",
]


@dataclass
class Community:
    facilitator: object
    librarian: object
    threads: dict


LIBRARIES = {
    "A": ("Perpustakaan Desa Cibening", "purwakarta", "jawa-barat"),
    "B": ("Taman Baca Sukawening", "garut", "jawa-barat"),
    "C": ("Perpustakaan Desa Sardonoharjo", "sleman", "di-yogyakarta"),
    "D": ("Pustaka Desa Tumpang", "malang", "jawa-timur"),
    "E": ("Rumah Baca Cibinong", "bogor", "jawa-barat"),
}


def build_community(app, make_user, make_thread, make_reply) -> Community:
    """The community the figures below were counted from (times in UTC; WIB is UTC+7).

    Period 2025-07-01 .. 2026-06-30 (WIB). Libraries A, B, E in Jawa Barat,
    C in DI Yogyakarta, D in Jawa Timur.

    Members: a1 (A, joined 2025-08-10), a2 (A, 2025-05-01, before), b1 (B,
    2026-02-01), c1 (C, 2025-09-15), d1 (D, 2025-01-01, before), e1 (E,
    2025-07-05), late (A, 2026-07-15, after); the facilitator joins today.

    T1  practice  a1 2025-08-20  #literasi-anak #pojok-baca
    T2  challenge a1 2025-09-01  #literasi-anak; b1 +3h, c1 +10h; solved +24h
    T3  challenge b1 2025-10-01  #dana-desa; b1 (own) +1h, a1 +5h
    T4  challenge c1 2026-01-10  #dana-desa #literasi-anak; c1 (own) +2h
    T5  challenge e1 2026-02-01  no tags, no replies
    T6  practice  c1 2026-05-01  #pojok-baca; a1 next day; e1 withdrawn
    T7  practice  a1 2026-03-01  hidden; b1 replied
    T8  challenge b1 2026-03-05  withdrawn
    T9  practice  d1 2025-06-15  (before); a2 replied 2025-06-20
    T10 challenge a2 2026-07-10  (after)
    T11 challenge a1 2026-03-10  c1 +2h (hidden reply), b1 +20h; solved +48h
    """
    members = {}
    for name, library, joined in [
        ("a1", "A", "2025-08-10 03:00"),
        ("a2", "A", "2025-05-01 03:00"),
        ("b1", "B", "2026-02-01 03:00"),
        ("c1", "C", "2025-09-15 03:00"),
        ("d1", "D", "2025-01-01 03:00"),
        ("e1", "E", "2025-07-05 03:00"),
        ("late", "A", "2026-07-15 03:00"),
    ]:
        library_name, regency, province = LIBRARIES[library]
        members[name] = make_user(
            f"anggota_{name}",
            library=library_name,
            regency=regency,
            province=province,
            created_at=at(joined),
        )
    facilitator = make_user("fasilitator", role="facilitator", library=None, locale="en")
    m = members

    def thread(author, kind, when, tags=(), **columns):
        return make_thread(
            m[author], kind=kind, title=f"Utas {when}", tags=tags, created_at=at(when), **columns
        )

    def reply(thread_, author, when, **columns):
        return make_reply(thread_, m[author], created_at=at(when), **columns)

    t = {}
    t[1] = thread("a1", "practice", "2025-08-20 05:00", ("literasi-anak", "pojok-baca"))
    t[2] = thread("a1", "challenge", "2025-09-01 05:00", ("literasi-anak",))
    t2_answer = reply(t[2], "b1", "2025-09-01 08:00")
    reply(t[2], "c1", "2025-09-01 15:00")
    t[3] = thread("b1", "challenge", "2025-10-01 05:00", ("dana-desa",))
    reply(t[3], "b1", "2025-10-01 06:00")
    reply(t[3], "a1", "2025-10-01 10:00")
    t[4] = thread("c1", "challenge", "2026-01-10 05:00", ("dana-desa", "literasi-anak"))
    reply(t[4], "c1", "2026-01-10 07:00")
    t[5] = thread("e1", "challenge", "2026-02-01 05:00")
    t[6] = thread("c1", "practice", "2026-05-01 05:00", ("pojok-baca",))
    reply(t[6], "a1", "2026-05-02 05:00")
    reply(t[6], "e1", "2026-05-03 05:00", withdrawn_at=at("2026-05-04 05:00"))
    t[7] = thread("a1", "practice", "2026-03-01 05:00", ("literasi-anak",))
    reply(t[7], "b1", "2026-03-02 05:00")
    t[8] = thread("b1", "challenge", "2026-03-05 05:00", ("dana-desa",))
    t[9] = thread("d1", "practice", "2025-06-15 05:00", ("literasi-anak",))
    reply(t[9], "a2", "2025-06-20 05:00")
    t[10] = thread("a2", "challenge", "2026-07-10 05:00", ("dana-desa",))
    t[11] = thread("a1", "challenge", "2026-03-10 05:00")
    reply(t[11], "c1", "2026-03-10 07:00", hidden=True)
    t11_answer = reply(t[11], "b1", "2026-03-11 01:00")
    with app_db(app) as session:
        # Hidden and withdrawn after their replies were written.
        session.get(Thread, t[7].id).hidden = True
        session.get(Thread, t[8].id).withdrawn_at = at("2026-03-06 05:00")
        for number, answer, solved in [
            (2, t2_answer, "2025-09-02 05:00"),
            (11, t11_answer, "2026-03-12 05:00"),
        ]:
            row = session.get(Thread, t[number].id)
            row.accepted_post_id = answer.id
            row.solved_at = at(solved)
        for title, regency, province, starts in [
            ("Temu pustakawan Purwakarta", "purwakarta", "jawa-barat", date(2025, 11, 15)),
            ("Temu pustakawan Sleman", "sleman", "di-yogyakarta", date(2026, 8, 1)),
        ]:
            session.add(
                Meeting(
                    title=title,
                    kind="peer_learning",
                    starts_on=starts,
                    ends_on=starts,
                    place="Balai desa",
                    regency=regency,
                    province=province,
                    participants=30,
                    created_by_id=facilitator.id,
                )
            )
        session.commit()
    return Community(facilitator, m["a1"], t)


@pytest.fixture
def community(app, make_user, make_thread, make_reply):
    return build_community(app, make_user, make_thread, make_reply)


@pytest.fixture
def facilitator_client(client, community):
    login_as(client, community.facilitator)
    return client


def figures_on(html: str) -> dict[str, str]:
    """The headline figures on the page: label -> value as shown."""
    pairs = re.findall(
        r'<span class="value">([^<]*)</span> <span class="label">([^<]*)</span>', html
    )
    return {unescape(label): unescape(value) for value, label in pairs}


def get(client, path: str, **params):
    return client.get(path, query_string={**PERIOD, **params})


# --- the figures ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        (
            None,
            {
                "new members": "4",  # a1, b1, c1, e1
                "active libraries": "4",  # A, B, C, E (D only before)
                "best practices posted": "2",  # T1, T6 (T7 hidden, T9 before)
                "challenges posted": "5",  # T2, T3, T4, T5, T11 (T8 withdrawn, T10 after)
                "replies": "7",  # T2 2, T3 2, T4 1, T6 1, T11 1
                "of challenges solved": "40%",  # T2, T11 of 5
                "challenges without an answer": "2",  # T4 (own reply only), T5
                "median time to the first reply": "5 hours",  # 3h, 5h, 20h
                "median time to solved": "36 hours",  # 24h, 48h
                "meetings": "1",
            },
        ),
        (
            "provinsi-jawa-barat",
            {
                "new members": "3",  # a1, b1, e1
                "active libraries": "3",  # A, B, E
                "best practices posted": "1",  # T1
                "challenges posted": "4",  # T2, T3, T5, T11
                "replies": "5",  # by A/B/E members: T2 b1, T3 b1 a1, T6 a1, T11 b1
                "of challenges solved": "50%",
                "challenges without an answer": "1",  # T5
                "median time to the first reply": "5 hours",  # 3h, 5h, 20h
                "meetings": "1",
            },
        ),
        (
            "sleman",
            {
                "new members": "1",
                "active libraries": "1",
                "best practices posted": "1",  # T6
                "challenges posted": "1",  # T4
                "replies": "2",  # c1 on T2 and T4
                "of challenges solved": "0%",
                "challenges without an answer": "1",
                "median time to the first reply": "–",
                "meetings": "0",  # Sleman's meeting is after the period
            },
        ),
    ],
)
def test_dashboard_figures_match_the_hand_count(facilitator_client, region, expected):
    params = {"region": region} if region else {}
    response = get(facilitator_client, "/dashboard", **params)
    assert response.status_code == 200
    shown = figures_on(response.get_data(as_text=True))
    assert {label: shown.get(label) for label in expected} == expected


def test_figures_export_has_the_exact_numbers(facilitator_client):
    response = get(facilitator_client, "/dashboard/export.csv", table="figures")
    assert response.status_code == 200
    rows = [
        line.split(",") for line in response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    ]
    figures = {row[1]: row[2] for row in rows if row[0] == "Figures"}
    assert figures == {
        "New members": "4",
        "Active libraries": "4",
        "Best practices posted": "2",
        "Challenges posted": "5",
        "Replies": "7",
        "Challenges solved": "2",
        "Challenges solved (%)": "40.0",
        "Median hours to the first reply": "5.0",
        "Median hours to solved": "36.0",
        "Unanswered challenges": "2",
        "Meetings": "1",
        "Meeting participants": "30",
        "Libraries gone quiet": "2",  # E (last post 2026-02-01), B (2026-03-11)
    }
    tags = [(row[1], row[2]) for row in rows if row[0] == "Threads per tag"]
    assert tags == [("#literasi-anak", "3"), ("#dana-desa", "2"), ("#pojok-baca", "2")]
    regions = [(row[1], row[2]) for row in rows if row[0] == "Challenges solved by region (%)"]
    assert regions == [("Jawa Barat (4)", "50.0"), ("DI Yogyakarta (1)", "0.0")]
    # Weeks start on the period's first day (1 July); T1 falls in the week of 19 August.
    weekly = {(row[0], row[1]): row[2] for row in rows if row[0].endswith("per week")}
    assert len(weekly) == 53 * 3
    assert weekly[("Best practices per week", "2025-08-19")] == "1"
    assert weekly[("Challenges per week", "2025-08-26")] == "1"  # T2, 1 September
    assert weekly[("Replies per week", "2025-08-26")] == "2"
    assert sum(int(v) for (name, _w), v in weekly.items() if name.startswith("Replies")) == 7


def test_lists_name_the_unanswered_challenges_and_quiet_libraries(facilitator_client, community):
    html = get(facilitator_client, "/dashboard").get_data(as_text=True)
    unanswered = html.split('id="unanswered-heading"')[1].split("</section>")[0]
    links = re.findall(r'href="/threads/(\d+)"', unanswered)
    assert links == [str(community.threads[4].id), str(community.threads[5].id)]
    quiet = html.split('id="quiet-heading"')[1].split("</section>")[0]
    assert quiet.index("Rumah Baca Cibinong") < quiet.index("Taman Baca Sukawening")
    for other in ("Cibening", "Sardonoharjo", "Tumpang"):
        assert other not in quiet


def test_default_period_is_the_last_twelve_months_up_to_today(facilitator_client):
    def jakarta_today() -> date:
        return datetime.now(ZoneInfo("Asia/Jakarta")).date()

    def default_period(today: date) -> tuple[str, str]:
        try:
            start = today.replace(year=today.year - 1) + timedelta(days=1)
        except ValueError:
            start = today.replace(year=today.year - 1, day=28) + timedelta(days=1)
        return (
            f'name="from" type="date" value="{start.isoformat()}"',
            f'name="to" type="date" value="{today.isoformat()}"',
        )

    # The day read before and after the request: at midnight in Jakarta the page may
    # have been rendered on either day, and must then show that day's period.
    before = jakarta_today()
    html = facilitator_client.get("/dashboard").get_data(as_text=True)
    after = jakarta_today()
    periods = {default_period(day) for day in (before, after)}
    assert any(start in html and end in html for start, end in periods), periods


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"from": "kemarin"}, "from"),
        ({"to": "1999-12-31"}, "to"),
        ({"from": "2026-05-01", "to": "2026-01-01"}, "to"),
        ({"region": "atlantis"}, "region"),
    ],
)
def test_bad_period_is_400_with_the_error_next_to_the_field(facilitator_client, params, field):
    response = facilitator_client.get("/dashboard", query_string=params)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    for value in params.values():
        if field != "region":
            assert f'value="{value}"' in html
    for path in ("/dashboard/charts/weekly.svg", "/dashboard/export.csv", "/dashboard/export.xlsx"):
        assert facilitator_client.get(path, query_string=params).status_code == 400


# --- who may look -------------------------------------------------------------------------


@pytest.mark.parametrize("path", DASHBOARD_PATHS)
def test_visitors_are_sent_to_log_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=%2Fdashboard")


@pytest.mark.parametrize("path", DASHBOARD_PATHS)
def test_librarians_cannot_see_the_dashboard_or_export(client, make_user, path):
    login_as(client, make_user())
    response = client.get(path)
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["facilitator", "admin"])
@pytest.mark.parametrize("path", DASHBOARD_PATHS)
def test_facilitators_and_admins_see_everything(client, make_user, role, path):
    login_as(client, make_user(role=role))
    response = client.get(path)
    assert response.status_code == 200
    response.close()


def test_dashboard_link_in_the_menu_only_for_facilitators(client, make_user):
    assert 'href="/meetings"' in client.get("/").get_data(as_text=True)
    assert 'href="/dashboard"' not in client.get("/").get_data(as_text=True)
    login_as(client, make_user())
    assert 'href="/dashboard"' not in client.get("/").get_data(as_text=True)
    other = client.application.test_client()
    login_as(other, make_user(role="facilitator"))
    assert 'href="/dashboard"' in other.get("/").get_data(as_text=True)


# --- charts ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["weekly", "kinds", "solved", "tags"])
def test_charts_are_standalone_svg_images(facilitator_client, name):
    response = get(
        facilitator_client, f"/dashboard/charts/{name}.svg", region="provinsi-jawa-barat"
    )
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.data)
    assert root.tag == SVG
    assert root.get("viewBox") == "0 0 640 380"
    assert not list(root.iter("{http://www.w3.org/2000/svg}script"))
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_charts_show_the_hand_counted_values(facilitator_client):
    svg = get(facilitator_client, "/dashboard/charts/tags.svg").get_data(as_text=True)
    root = ET.fromstring(svg)
    texts = ["".join(node.itertext()) for node in root.iter("{http://www.w3.org/2000/svg}text")]
    assert {"#literasi-anak", "#dana-desa", "#pojok-baca"} <= set(texts)
    solved = ET.fromstring(get(facilitator_client, "/dashboard/charts/solved.svg").data)
    texts = ["".join(node.itertext()) for node in solved.iter("{http://www.w3.org/2000/svg}text")]
    assert "Jawa Barat (4)" in texts
    assert "50%" in texts


def test_unknown_chart_is_404(facilitator_client):
    assert facilitator_client.get("/dashboard/charts/pie.svg").status_code == 404


def test_page_shows_charts_as_images_from_its_own_routes(facilitator_client):
    html = main_text(get(facilitator_client, "/dashboard", region="garut"))
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert len(sources) == 5  # four at a glance, one of practices spreading
    for source in sources:
        assert source.startswith("/dashboard/charts/")
        assert "from=2025-07-01" in source and "region=garut" in source
        response = facilitator_client.get(unescape(source))
        assert response.status_code == 200
        ET.fromstring(response.data)
    assert "<svg" not in html  # no inline SVG: the page's CSP would block its styles


# --- cost ------------------------------------------------------------------------------


def test_dashboard_query_count_does_not_grow_with_the_data(
    app, facilitator_client, count_queries, make_user, make_thread, make_reply
):
    with count_queries() as small:
        assert get(facilitator_client, "/dashboard").status_code == 200
    for n in range(6):
        author = make_user(
            library=f"Perpustakaan Tambahan {n}", regency="garut", created_at=at("2025-12-01 01:00")
        )
        thread = make_thread(author, kind="challenge", created_at=at(f"2025-12-0{n + 2} 01:00"))
        make_reply(
            thread, make_user(created_at=at("2025-12-01 02:00")), created_at=at("2025-12-09 01:00")
        )
    with count_queries() as large:
        assert get(facilitator_client, "/dashboard").status_code == 200
    assert len(large) == len(small)
    # One statement per figure group; the spread of practices (forum/insight/spread.py) and
    # support (forum/partners/figures.py) are one each; the facilitator's regions one more.
    assert len(small) <= 12


def test_report_is_printable_with_the_same_figures(facilitator_client):
    response = get(facilitator_client, "/dashboard/report", region="provinsi-jawa-barat")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Jawa Barat" in html
    assert figures_on(html)["challenges posted"] == "4"
    assert "Temu pustakawan Purwakarta" in html  # the period's meeting in the region
    assert "Temu pustakawan Sleman" not in html
    stylesheet = re.search(r'<link rel="stylesheet" href="(/assets/insight\.\w+\.css)">', html)
    with facilitator_client.get(stylesheet.group(1)) as css:
        assert "@media print" in css.get_data(as_text=True)
