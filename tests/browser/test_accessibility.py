"""axe-core, run inside Chromium at 360 px, finds no serious or critical problem.

The public, member and facilitator pages; each must also fit the phone's width.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.database import writing
from forum.extensions import db
from forum.models import Post
from forum.models import User
from forum.moderation import service as moderation
from tests.browser.conftest import BROWSER_TEST_MARKS
from tests.browser.conftest import log_in

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
FACILITATOR_PAGES = [
    "/mod/flags",
    "/mod/log",
    "/threads/needs-help",
    "/threads/2",  # a thread with the facilitators' tools and a hidden reply
    "/dashboard",
    "/dashboard/report",
    "/mod/search-log",
    "/mod/users/asep_sukatani",
    "/meetings/new",
]


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


def check_pages(page, server: str, paths: list[str]) -> dict[str, list[str]]:
    problems = {}
    for path in paths:
        response = page.goto(server + path)
        assert response.status == 200, path
        found = serious_violations(page)
        if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
            found.append("scrolls sideways at 360 px")
        if found:
            problems[path] = found
    return problems


def test_main_pages_have_no_serious_accessibility_violations(demo_server, axe_page):
    problems = check_pages(axe_page, demo_server, PUBLIC_PAGES)
    log_in(axe_page, demo_server, "asep_sukatani")
    problems |= check_pages(axe_page, demo_server, MEMBER_PAGES)
    assert problems == {}


def test_facilitator_pages_have_no_serious_accessibility_violations(
    demo_app, demo_server, axe_page
):
    # Something in every queue and log: an open flag, a hidden reply, a search.
    with demo_app.app_context(), writing():
        member = db.session.scalar(sa.select(User).where(User.username == "asep_sukatani"))
        rina = db.session.scalar(sa.select(User).where(User.username == "rina_fasilitator"))
        replies = db.session.scalars(
            sa.select(Post).where(Post.thread_id == 2, Post.is_opening.is_(False)).order_by(Post.id)
        ).all()
        flagged = next(post for post in replies if post.author_id != member.id)  # not his own
        hidden, still_shown = [post for post in replies if post is not flagged][:2]
        moderation.flag_post(member, flagged, "off_topic", "Bukan tentang sirkulasi.")
        moderation.hide_post(rina, hidden, "Berisi nomor telepon pribadi.")
        hide_form = f"/mod/posts/{still_shown.id}/hide"
        db.session.commit()
    axe_page.goto(f"{demo_server}/search?q=katalogisasi")

    log_in(axe_page, demo_server, "rina_fasilitator")
    problems = check_pages(axe_page, demo_server, FACILITATOR_PAGES)
    problems |= check_pages(axe_page, demo_server, [hide_form])
    assert problems == {}
