"""axe-core, run inside Chromium, finds no serious or critical problem on the main pages."""

from __future__ import annotations

import pytest

from tests.browser.conftest import BROWSER_TEST_MARKS

pytestmark = BROWSER_TEST_MARKS

PUBLIC_PAGES = [
    "/",
    "/threads",
    "/threads?kind=challenge",
    "/threads/1",
    "/threads/needs-help",
    "/search?q=pelatihan+relawan",
    "/users/rina_fasilitator",
    "/meetings",
    "/auth/login",
    "/auth/register",
]
MEMBER_PAGES = ["/threads/new", "/settings/profile", "/auth/password"]


@pytest.fixture
def demo_server(sqlite_app, live_server):
    from forum.database import writing
    from forum.demo import load_demo

    with sqlite_app.app_context(), writing():
        load_demo()
    return live_server


@pytest.fixture
def axe_page(browser):
    # The page's CSP would block the injected axe script; the check needs it.
    context = browser.new_context(
        bypass_csp=True, viewport={"width": 360, "height": 740}, locale="id-ID"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_main_pages_have_no_serious_accessibility_violations(demo_server, axe_page):
    problems = {}
    for path in PUBLIC_PAGES:
        axe_page.goto(demo_server + path)
        if found := serious_violations(axe_page):
            problems[path] = found
    axe_page.goto(demo_server + "/auth/login")
    axe_page.get_by_label("Nama pengguna").fill("asep_sukatani")
    axe_page.get_by_label("Kata sandi").fill("serambi-demo")
    axe_page.get_by_role("button", name="Masuk").click()
    for path in MEMBER_PAGES:
        axe_page.goto(demo_server + path)
        if found := serious_violations(axe_page):
            problems[path] = found
    assert problems == {}
