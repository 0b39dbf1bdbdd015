"""The main journeys in a real browser, at phone (360 px) and desktop width.

All journeys share one live demo community (a module-scoped server); each one
makes its own thread or reply, so they run in any order and twice (phone and
desktop) without stepping on each other. Every page a journey visits must fit
a 360 px screen and keep its controls at least 44 px high. Some journeys also
run with JavaScript turned off ("phone-nojs"): the site must work without it.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from forum.extensions import db
from forum.models import Thread
from forum.threads import service as threads
from tests.browser.helpers import BOTH
from tests.browser.helpers import BOTH_AND_NO_JS
from tests.browser.helpers import BROWSER_TEST_MARKS
from tests.browser.helpers import add_reply
from tests.browser.helpers import assert_phone_friendly
from tests.browser.helpers import given
from tests.browser.helpers import header_menu
from tests.browser.helpers import log_in
from tests.browser.helpers import member_named
from tests.browser.helpers import open_device
from tests.browser.helpers import shot

pytestmark = BROWSER_TEST_MARKS


def demo_thread_id(app, title_start: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Thread.id).where(Thread.title.startswith(title_start)))


def reply_article(page, text: str):
    return page.locator("article.post", has_text=text)


@BOTH
def test_log_in_from_a_thread_and_come_back_to_it(demo_app, demo_server, open_page, device):
    page = open_page(device)
    thread_id = demo_thread_id(demo_app, "Pojok baca di pos ronda")
    page.goto(f"{demo_server}/threads/{thread_id}")
    assert_phone_friendly(page)
    page.get_by_role("link", name="Masuk untuk membalas").click()

    page.get_by_label("Nama pengguna").fill("neneng_sukatani")
    page.get_by_label("Kata sandi").fill("bukan-kata-sandinya")
    page.get_by_role("button", name="Masuk").click()
    assert "/auth/login" in page.url
    expect(page.locator("main .error, main .error-summary").first).to_be_visible()
    assert_phone_friendly(page)
    shot(page, "login-error", device)

    page.get_by_label("Kata sandi").fill("serambi-demo")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"**/threads/{thread_id}")
    expect(header_menu(page).get_by_role("link", name="Neneng Siti Rohmah")).to_be_visible()
    expect(page.get_by_label("Balasan Anda")).to_be_visible()
    assert_phone_friendly(page)


@BOTH_AND_NO_JS
def test_reply_to_a_thread(demo_app, demo_server, open_page, device):
    page = open_device(open_page, device)
    thread_id = demo_thread_id(demo_app, "Banyak buku tidak dikembalikan")
    text = f"Kami coba kartu pengingat bergambar untuk anak-anak ({device})."
    log_in(page, demo_server, "neneng_sukatani", next_path=f"/threads/{thread_id}")
    assert_phone_friendly(page)

    page.get_by_label("Balasan Anda").fill(text)
    page.get_by_role("button", name="Kirim balasan").click()

    # Back on the thread, scrolled to the new reply.
    page.wait_for_url(re.compile(rf"/threads/{thread_id}(\?page=\d+)?#post-\d+$"))
    mine = page.locator("article.post:target")
    assert text in mine.inner_text()
    assert "Neneng Siti Rohmah" in mine.inner_text()
    expect(mine).to_be_visible()
    assert_phone_friendly(page)
    shot(page, "reply", device)


@BOTH_AND_NO_JS
def test_search_and_open_the_matching_reply(demo_app, demo_server, open_page, device):
    page = open_device(open_page, device)
    page.goto(demo_server)
    search_box = page.get_by_role("search").get_by_role("searchbox")
    search_box.fill("tirai plastik")
    search_box.press("Enter")

    page.wait_for_url("**/search?q=tirai+plastik*")
    hit = page.locator("ol.hits > li").first
    assert "Pojok baca di pos ronda" in hit.locator(".hit-title").inner_text()
    assert_phone_friendly(page)
    shot(page, "search", device)

    hit.get_by_role("link", name="Ke balasan yang cocok").click()
    page.wait_for_url(re.compile(r"/threads/\d+(\?page=\d+)?#post-\d+$"))
    target = page.locator("article.post:target")
    assert "tirai plastik bening" in target.inner_text()
    expect(target).to_be_visible()
    box = target.bounding_box()
    assert box["y"] < page.viewport_size["height"], "the matching reply is scrolled into view"
    assert_phone_friendly(page)

    # The title opens the thread at its start.
    page.go_back()
    page.locator("ol.hits > li").first.locator(".hit-title a").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Pojok baca di pos ronda")


@BOTH_AND_NO_JS
def test_member_flags_a_reply_and_a_facilitator_hides_it(demo_app, demo_server, open_page, device):
    thread_id = demo_thread_id(demo_app, "Jumat Bedongeng")
    spam = f"Jual pulsa murah, hubungi 0812-0000-{len(device):04d} sekarang ({device})."
    add_reply(demo_app, thread_id, "yanti_wanayasa", spam)

    reader = open_device(open_page, device)
    log_in(reader, demo_server, "asep_sukatani", next_path=f"/threads/{thread_id}")
    with reader.expect_navigation():  # measure the flag page, not the one it replaces
        reply_article(reader, spam).get_by_role("link", name="Adukan").click()
    assert_phone_friendly(reader)
    reader.get_by_label("Apa masalahnya?").select_option("spam")
    shot(reader, "flag", device)
    reader.get_by_role("button", name="Kirim ke fasilitator").click()
    expect(reader.get_by_text("Terima kasih. Fasilitator akan memeriksanya.")).to_be_visible()
    expect(reply_article(reader, spam).get_by_text("Anda sudah mengadukan ini.")).to_be_visible()

    facilitator = open_device(open_page, device)
    log_in(facilitator, demo_server, "rina_fasilitator")
    header_menu(facilitator).get_by_role("link", name="Moderasi").click()
    entry = facilitator.locator("section.flagged", has_text=spam)
    assert "Spam atau iklan (1)" in entry.inner_text()
    assert_phone_friendly(facilitator)
    shot(facilitator, "flag-queue", device)
    entry.get_by_label("Catatan").fill("Iklan, bukan diskusi.")
    entry.locator("button[name=action][value=hide]").click()
    assert facilitator.locator("section.flagged", has_text=spam).count() == 0

    reader.goto(f"{demo_server}/threads/{thread_id}")
    assert reply_article(reader, spam).count() == 0
    assert "Perpustakaan Desa Pringgasela" in reader.content()  # the rest is still there

    facilitator.goto(f"{demo_server}/threads/{thread_id}")
    hidden = reply_article(facilitator, spam)
    assert "muted" in hidden.get_attribute("class")
    assert "Iklan, bukan diskusi." in hidden.locator(".notice").inner_text()
    expect(hidden.get_by_role("button", name="Pulihkan")).to_be_visible()
    assert_phone_friendly(facilitator)
    hidden.scroll_into_view_if_needed()
    shot(facilitator, "hidden-reply", device)


def language_of(page) -> str:
    return page.locator("html").get_attribute("lang")


@BOTH
def test_switch_language_in_the_footer(demo_server, open_page, device):
    page = open_page(device)
    page.goto(f"{demo_server}/threads?kind=challenge")
    assert language_of(page) == "id"
    footer = page.locator("footer.site")
    footer.get_by_role("button", name="English").click()
    # Back on the same page, now in English.
    assert page.url.endswith("/threads?kind=challenge")
    assert language_of(page) == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Challenges"
    assert_phone_friendly(page)
    shot(page, "english", device)

    page.get_by_role("link", name="Best practices").first.click()
    assert language_of(page) == "en"  # remembered across pages (a cookie)
    footer.get_by_role("button", name="Bahasa Indonesia").click()
    assert language_of(page) == "id"
    page.goto(demo_server)
    assert language_of(page) == "id"
    assert page.locator("footer.site [aria-current=true]").inner_text() == "Bahasa Indonesia"


@BOTH
def test_a_member_keeps_their_language_after_logging_in_again(demo_server, open_page, device):
    page = open_page(device)
    log_in(page, demo_server, "sugeng_nglanggeran")
    page.locator("footer.site").get_by_role("button", name="English").click()
    assert language_of(page) == "en"
    header_menu(page).get_by_role("button", name="Log out").click()

    # Another phone: no cookie, a browser asking for Indonesian.
    other = open_page(device, locale="id-ID")
    other.goto(demo_server)
    assert language_of(other) == "id"
    log_in(other, demo_server, "sugeng_nglanggeran")
    assert language_of(other) == "en"  # remembered in the profile
    expect(header_menu(other).get_by_role("button", name="Log out")).to_be_visible()

    other.locator("footer.site").get_by_role("button", name="Bahasa Indonesia").click()
    assert language_of(other) == "id"
    other.reload()
    assert language_of(other) == "id"


@BOTH
def test_the_author_marks_a_challenge_solved(demo_app, demo_server, open_page, device):
    title = f"Rak kayu dimakan rayap, buku ikut rusak ({device})"
    answer = "Kami olesi raknya dengan solar bekas dan beri kaki dari kaleng berisi air."

    def make():
        thread = threads.create_thread(
            member_named("baiq_pringgasela"),
            "challenge",
            title,
            "Bagaimana mencegahnya?",
            ["koleksi"],
        )
        threads.create_reply(member_named("ilham_borongloe"), thread, answer)
        db.session.flush()
        return thread.id

    thread_id = given(demo_app, make)
    page = open_page(device)
    log_in(page, demo_server, "baiq_pringgasela", next_path=f"/threads/{thread_id}")
    assert page.locator("main .meta .badge.solved").count() == 0
    assert_phone_friendly(page)

    reply_article(page, answer).get_by_role("button", name="Terima sebagai jawaban").click()
    expect(page.get_by_text("Jawaban yang diterima sudah ditandai.")).to_be_visible()
    assert page.locator("main > .meta .badge.solved").inner_text() == "Teratasi"
    accepted = page.get_by_role("region", name="Jawaban yang diterima")
    assert answer in accepted.inner_text()
    assert_phone_friendly(page)
    shot(page, "solved", device)

    page.goto(f"{demo_server}/threads/needs-help")
    assert page.get_by_role("link", name=title).count() == 0
