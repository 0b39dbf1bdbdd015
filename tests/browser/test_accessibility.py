"""axe-core, run inside Chromium at 360 px, finds no serious or critical problem.

The public, member and facilitator pages; each must also fit the phone's width.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.attachments import service as attachments
from forum.database import writing
from forum.engagement import service as engagement
from forum.extensions import db
from forum.models import Post
from forum.models import User
from forum.moderation import service as moderation
from forum.threads import drafts
from forum.threads import service as threads
from tests.browser.helpers import BROWSER_TEST_MARKS
from tests.browser.helpers import log_in
from tests.browser.helpers import screenshot

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
    "/auth/forgot",
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


def problems_here(page) -> list[str]:
    found = serious_violations(page)
    if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
        found.append("scrolls sideways at 360 px")
    return found


def check_pages(page, server: str, paths: list[str], shots=None) -> dict[str, list[str]]:
    """axe and the width check on each path; ``shots`` names a screenshot for some paths."""
    problems = {}
    for path in paths:
        response = page.goto(server + path)
        assert response.status == 200, path
        if shots and path in shots:
            screenshot(page, shots[path])
        found = problems_here(page)
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


def user_named(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def photo_and_pdf() -> list:
    from io import BytesIO

    from PIL import Image

    photo, pdf = BytesIO(), BytesIO()
    Image.new("RGB", (1200, 900), (120, 160, 90)).save(photo, "JPEG")
    Image.new("RGB", (600, 800), "white").save(pdf, "PDF")
    return [
        attachments.prepare(photo.getvalue(), "kebun-baca.jpg", "Anak-anak membaca di kebun"),
        attachments.prepare(pdf.getvalue(), "jadwal-kegiatan.pdf", "Jadwal kegiatan bulan ini"),
    ]


def test_engagement_pages_have_no_serious_accessibility_violations(demo_app, demo_server, axe_page):
    # Every list has something in it: a mention and a reply (notifications), a
    # bookmark, a reply draft, a thread with a photo, a PDF and others' replies.
    with demo_app.app_context(), writing():
        baiq, ilham = user_named("baiq_pringgasela"), user_named("ilham_borongloe")
        thread = threads.create_thread(
            baiq,
            "practice",
            "Kebun baca di halaman balai desa",
            "Kami memindahkan rak ke kebun setiap Minggu pagi.",
            ["literasi-anak"],
            sections={"context": "Ruang baca sempit dan panas.", "participants": 30},
        )
        attachments.attach(thread.opening_post, baiq, photo_and_pdf())
        threads.create_reply(ilham, thread, "@baiq_pringgasela bagaimana kalau hujan?")
        # Committed first: a savepoint (the helpful and bookmark toggles use one)
        # after a flush with search changes drains the outbox while this
        # transaction still holds SQLite's write lock, and waits out its timeout.
        db.session.commit()
        engagement.toggle_helpful(ilham, thread.opening_post)
        engagement.toggle_bookmark(baiq, thread)
        engagement.follow_tag(baiq, "literasi-anak")
        drafts.save_draft(baiq, {"body": "Kalau hujan kami pindah ke"}, ("body",), thread)
        db.session.commit()
        thread_id = thread.id

    log_in(axe_page, demo_server, "baiq_pringgasela")
    shots = {
        "/settings/notifications": "notification-settings",
        f"/threads/{thread_id}": "thread-with-files",
        "/settings/account/delete": "account-delete",
        "/threads?tag=literasi-anak": "tag-follow",
    }
    problems = check_pages(
        axe_page,
        demo_server,
        ["/notifications", "/bookmarks", "/drafts", *shots],
        shots,
    )
    axe_page.goto(f"{demo_server}/threads/new")
    for summary in axe_page.locator("main details > summary").all():
        summary.click()  # the report sections and the file slots, open
    assert axe_page.locator("main details[open]").count() == 3
    screenshot(axe_page, "new-thread-open")
    if found := problems_here(axe_page):
        problems["/threads/new (sections open)"] = found
    assert problems == {}
