"""Facilitators look after regions: the scope rule, the admin's page and the command line."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from forum.models import FacilitatorScope
from forum.models import User
from forum.moderation.models import ModerationAction
from forum.permissions import covers
from forum.permissions import why_not_moderate_member
from forum.permissions import why_not_moderate_thread
from tests.helpers import app_db
from tests.helpers import client_for
from tests.helpers import main_text
from tests.helpers import send_form


def scope_values(app, username) -> list[str]:
    with app_db(app) as session:
        user_id = session.scalar(sa.select(User.id).where(User.username == username))
        query = sa.select(FacilitatorScope.region).where(FacilitatorScope.user_id == user_id)
        return sorted(session.scalars(query))


def test_a_facilitator_covers_their_kabupaten_province_or_all_of_indonesia(app, make_user):
    make_user("rudi", role="facilitator", scope=["purwakarta"])
    make_user("yani", role="facilitator", scope=["provinsi-jawa-tengah"])
    make_user("nina", role="facilitator")  # created facilitators cover all of Indonesia
    make_user("adi", role="admin", scope=[])
    make_user("lina")
    places = {
        "purwakarta": ("purwakarta", "jawa-barat"),
        "sumedang": ("sumedang", "jawa-barat"),
        "semarang": ("semarang", "jawa-tengah"),
        "nowhere": (None, None),
    }
    expected = {
        "rudi": {"purwakarta"},
        "yani": {"semarang"},
        "nina": set(places),
        "adi": set(places),
        "lina": set(),
    }
    with app_db(app) as session:
        for username, covered in expected.items():
            user = session.scalar(sa.select(User).where(User.username == username))
            got = {name for name, place in places.items() if covers(user, *place)}
            assert got == covered, username


def test_threads_and_members_without_a_region_are_for_national_facilitators(
    app, make_user, make_thread
):
    make_user("rudi", role="facilitator", scope=["purwakarta"])
    make_user("nina", role="facilitator", scope=["nasional"])
    homeless = make_user("tuti", library=None)
    thread = make_thread(homeless)
    english = {"HTTP_COOKIE": "lang=en"}
    with app.test_request_context(environ_base=english), app_db(app) as session:
        rudi, nina, tuti = (
            session.scalar(sa.select(User).where(User.username == name))
            for name in ("rudi", "nina", "tuti")
        )
        stored = session.merge(thread)
        assert stored.regency is None
        assert "no region" in str(why_not_moderate_thread(rudi, stored))
        assert "no region" in str(why_not_moderate_member(rudi, tuti))
        assert why_not_moderate_thread(nina, stored) is None
        assert why_not_moderate_member(nina, tuti) is None


def test_the_admin_gives_a_facilitator_regions_one_per_line(app, make_user):
    admin = make_user("adi", role="admin")
    make_user("rudi", role="facilitator")
    browser = client_for(app, admin)
    page = browser.get("/admin/users/rudi/scope")
    assert page.status_code == 200
    assert re.search(r">\s*nasional</textarea>", main_text(page))

    response = send_form(
        browser, "/admin/users/rudi/scope", {"scope": "Purwakarta\nprovinsi-jawa-tengah\n\n"}
    )
    assert response.status_code == 302
    assert scope_values(app, "rudi") == ["provinsi-jawa-tengah", "purwakarta"]
    member_page = main_text(browser.get("/mod/users/rudi"))
    assert "Purwakarta, Jawa Barat" in member_page
    assert "Jawa Tengah" in member_page
    with app_db(app) as session:
        entry = session.scalar(
            sa.select(ModerationAction).where(ModerationAction.action == "set_scope")
        )
        assert entry.details == "nasional → provinsi-jawa-tengah, purwakarta"


def test_the_scope_field_can_be_repeated(app, make_user):
    admin = make_user("adi", role="admin")
    make_user("rudi", role="facilitator")
    browser = client_for(app, admin)
    response = send_form(browser, "/admin/users/rudi/scope", {"scope": ["sumedang", "sukabumi"]})
    assert response.status_code == 302
    assert scope_values(app, "rudi") == ["sukabumi", "sumedang"]


def test_an_unknown_region_is_refused_and_changes_nothing(app, make_user):
    admin = make_user("adi", role="admin")
    make_user("rudi", role="facilitator", scope=["purwakarta"])
    browser = client_for(app, admin)
    response = send_form(browser, "/admin/users/rudi/scope", {"scope": "purwakarta\natlantis"})
    assert response.status_code == 400
    assert "Not a region: atlantis" in main_text(response)
    assert scope_values(app, "rudi") == ["purwakarta"]


def test_only_admins_change_regions_and_only_facilitators_have_them(app, make_user):
    make_user("adi", role="admin")
    rudi = make_user("rudi", role="facilitator", scope=["purwakarta"])
    make_user("nina", role="facilitator")
    make_user("lina")
    facilitator = client_for(app, rudi)
    assert facilitator.get("/admin/users/nina/scope").status_code == 403
    response = send_form(facilitator, "/admin/users/rudi/scope", {"scope": "nasional"})
    assert response.status_code == 403
    assert scope_values(app, "rudi") == ["purwakarta"]
    admin = client_for(app, User(username="adi"))
    assert admin.get("/admin/users/lina/scope").status_code == 403
    assert admin.get("/admin/users/adi/scope").status_code == 403
    assert admin.get("/admin/users/nobody/scope").status_code == 404


def test_a_demoted_facilitator_loses_their_regions(app, make_user):
    admin = make_user("adi", role="admin")
    make_user("rudi", role="facilitator", scope=["purwakarta"])
    response = send_form(client_for(app, admin), "/admin/users/rudi/role", {"role": "librarian"})
    assert response.status_code == 302
    assert scope_values(app, "rudi") == []


def test_the_command_line_adds_and_removes_regions(app, runner, make_user):
    make_user("rudi", role="facilitator")
    result = runner.invoke(
        args=["users", "scope", "rudi", "--add", "purwakarta", "--add", "provinsi-jawa-barat"]
        + ["--remove", "nasional"]
    )
    assert result.exit_code == 0, result.output
    assert "rudi looks after: provinsi-jawa-barat, purwakarta" in result.output
    assert scope_values(app, "rudi") == ["provinsi-jawa-barat", "purwakarta"]

    result = runner.invoke(args=["users", "scope", "rudi", "--add", "atlantis"])
    assert result.exit_code != 0
    assert "'atlantis' is not a region value" in result.output
    assert scope_values(app, "rudi") == ["provinsi-jawa-barat", "purwakarta"]

    make_user("lina")
    result = runner.invoke(args=["users", "scope", "lina", "--add", "purwakarta"])
    assert result.exit_code != 0
    assert "only facilitators have regions" in result.output
    assert scope_values(app, "lina") == []


# --- the rule on every facilitator route ------------------------------------------------


@pytest.fixture
def two_regions(app, make_user, make_thread, make_reply):
    """A thread each from Purwakarta and Sumedang, each flagged, and a facilitator for each."""
    from forum.moderation.models import Flag

    purwakarta = make_user("asep")
    sumedang = make_user("dedi", library="Perpustakaan Desa Cimanggung", regency="sumedang")
    threads = {
        "purwakarta": make_thread(purwakarta, kind="challenge", title="Rak buku basah kena hujan"),
        "sumedang": make_thread(sumedang, kind="challenge", title="Anak-anak jarang datang"),
    }
    reporter = make_user("mira")
    with app_db(app) as session:
        for thread in threads.values():
            opening = session.merge(thread).opening_post
            session.add(Flag(post=opening, reporter_id=reporter.id, reason="rude"))
        session.commit()
    facilitators = {
        "purwakarta": make_user("rudi", role="facilitator", library=None, scope=["purwakarta"]),
        "sumedang": make_user("sari", role="facilitator", library=None, scope=["sumedang"]),
    }
    return threads, facilitators


def test_the_flag_queue_lists_only_the_facilitators_region(app, two_regions):
    threads, facilitators = two_regions
    page = main_text(client_for(app, facilitators["purwakarta"]).get("/mod/flags"))
    assert "Rak buku basah kena hujan" in page
    assert "Anak-anak jarang datang" not in page


def test_an_out_of_scope_facilitator_sees_the_thread_without_its_controls(app, two_regions):
    threads, facilitators = two_regions
    url = f"/threads/{threads['sumedang'].id}"
    theirs = main_text(client_for(app, facilitators["sumedang"]).get(url))
    assert "Pin to the top" in theirs
    assert "Hide the thread" in theirs
    other = client_for(app, facilitators["purwakarta"])
    page = main_text(other.get(url))
    assert "Anak-anak jarang datang" in page
    assert "Pin to the top" not in page
    assert "Hide the thread" not in page
    refused = send_form(other, f"/mod/threads/{threads['sumedang'].id}/pin")
    assert refused.status_code == 403
    assert "outside the region you look after" in main_text(refused)


def test_a_reset_link_for_a_member_outside_the_region_is_refused(app, two_regions):
    from forum.moderation.models import PasswordResetToken

    _threads, facilitators = two_regions
    browser = client_for(app, facilitators["purwakarta"])
    page = main_text(browser.get("/mod/users/dedi"))
    assert "Make a password-reset link" not in page
    assert "outside the region you look after" in page
    assert send_form(browser, "/mod/users/dedi/reset-link").status_code == 403
    assert send_form(browser, "/mod/users/asep/reset-link").status_code == 200
    with app_db(app) as session:
        tokens = session.scalars(sa.select(PasswordResetToken.user_id)).all()
        asep = session.scalar(sa.select(User.id).where(User.username == "asep"))
        assert tokens == [asep]


def test_a_regional_dashboard_and_its_exports_hold_only_the_region(app, two_regions):
    threads, facilitators = two_regions
    browser = client_for(app, facilitators["purwakarta"])
    page = browser.get("/dashboard")
    assert page.status_code == 200
    html = main_text(page)
    assert '<option selected value="purwakarta">' in html
    assert 'value="sumedang"' not in html
    assert "All regions" not in html
    response = browser.get("/dashboard/export.csv?table=threads")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row[0] for row in rows[1:]] == [str(threads["purwakarta"].id)]
    with browser.get("/dashboard/export.xlsx") as response:
        assert response.status_code == 200
        workbook = load_workbook(io.BytesIO(response.get_data()))
    cells = {str(cell.value) for sheet in workbook for row in sheet.iter_rows() for cell in row}
    assert "Rak buku basah kena hujan" in cells
    assert "Anak-anak jarang datang" not in cells
    assert browser.get("/dashboard?region=sumedang").status_code == 403
    assert browser.get("/dashboard/export.csv?table=threads&region=sumedang").status_code == 403
