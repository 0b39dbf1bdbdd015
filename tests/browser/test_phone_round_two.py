"""Made for a phone, round two (issue 16): unread replies, quoting, mentions by name,
the region choice at registration, and a preview that keeps the chosen photos.

Each journey runs at 360x740 in Debian's Chromium against the demo community,
with JavaScript on and, where the page must work without it, off.
"""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import expect

from forum.extensions import db
from forum.models import Post
from forum.models import Thread
from tests.browser.helpers import BROWSER_TEST_MARKS
from tests.browser.helpers import add_reply
from tests.browser.helpers import given
from tests.browser.helpers import log_in
from tests.browser.helpers import member_named
from tests.browser.helpers import screenshot

pytestmark = BROWSER_TEST_MARKS


def thread_of(app, title: str) -> int:
    """A new thread by a demo member, so journeys do not share one."""
    from forum.threads import service as threads

    def make():
        thread = threads.create_thread(
            member_named("rina_fasilitator"), "practice", title, "Cerita kegiatan kami.", []
        )
        db.session.flush()
        return thread.id

    return given(app, make)


def test_unread_replies_are_counted_and_lead_to_the_first_new_one(demo_app, demo_server, open_page):
    page = open_page("phone")
    thread_id = thread_of(demo_app, "Lomba membaca nyaring antar-RT")
    add_reply(demo_app, thread_id, "rina_fasilitator", "Balasan yang sudah dibaca.")
    log_in(page, demo_server, "asep_sukatani")
    page.goto(f"{demo_server}/threads/{thread_id}")
    first_new = add_reply(demo_app, thread_id, "rina_fasilitator", "Kabar baru pertama.")
    add_reply(demo_app, thread_id, "rina_fasilitator", "Kabar baru kedua.")

    page.goto(f"{demo_server}/threads")
    badge = page.locator(f'a.badge.new[href="/threads/{thread_id}/unread"]')
    expect(badge).to_have_text("2 baru")
    screenshot(page, "unread-list")
    badge.click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/threads/{thread_id}#post-{first_new}")
    post = page.locator(f"#post-{first_new}")
    expect(post).to_be_in_viewport()
    expect(post.locator(".badge.new")).to_have_text("Baru")
    screenshot(page, "unread-thread")

    for _attempt in range(10):  # the position is written just after the page was sent
        page.goto(f"{demo_server}/threads")
        if badge.count() == 0:
            break
        page.wait_for_timeout(200)
    expect(badge).to_have_count(0)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_quote_starts_a_reply_that_links_to_the_quoted_post(
    demo_app, demo_server, open_page, javascript
):
    page = open_page("phone", javascript=javascript)
    thread_id = thread_of(demo_app, f"Rak buku dari bambu ({'js' if javascript else 'nojs'})")
    quoted = add_reply(demo_app, thread_id, "rina_fasilitator", "Bambu dijemur seminggu dulu.")
    log_in(page, demo_server, "asep_sukatani")
    page.goto(f"{demo_server}/threads/{thread_id}")
    page.locator(f"#post-{quoted} a.quote").click()
    box = page.locator("form[data-draft] textarea[name=body]")
    expect(box).to_have_value(re.compile(r"^> Rina Marlina \[menulis\]\(/threads/\d+#post-\d+\):"))
    expect(box).to_have_value(re.compile(r"> Bambu dijemur seminggu dulu\.\n\n$"))
    assert ("/replies?quote=" in page.url) is not javascript  # JS fills the page's own box
    screenshot(page, "quote-js" if javascript else "quote-nojs")
    box.press("Control+End")
    box.type("Terima kasih, kami coba.")
    page.get_by_role("button", name="Kirim balasan").click()
    page.wait_for_load_state()
    quote = page.locator("article.post blockquote").last
    expect(quote).to_contain_text("Bambu dijemur seminggu dulu.")
    assert quote.locator("a").first.get_attribute("href").endswith(f"#post-{quoted}")


def test_typing_at_offers_members_by_name(demo_app, demo_server, open_page):
    page = open_page("phone")
    thread_id = thread_of(demo_app, "Menyebut anggota dengan namanya")
    log_in(page, demo_server, "asep_sukatani")
    page.goto(f"{demo_server}/threads/{thread_id}")
    box = page.locator("form[data-draft] textarea[name=body]")
    box.click()
    box.type("Terima kasih @marl", delay=30)  # part of the display name "Rina Marlina"
    offer = page.locator(".mention-list button", has_text="@rina_fasilitator")
    expect(offer).to_be_visible()
    assert "@" not in (page.locator(".mention-list").inner_text().split("·")[-1])  # no e-mail
    screenshot(page, "mention-suggestions")
    offer.click()
    expect(box).to_have_value("Terima kasih @rina_fasilitator ")
    expect(page.locator(".mention-list")).to_be_hidden()


def test_registration_narrows_the_kabupaten_list_to_the_province(demo_server, open_page):
    page = open_page("phone")
    page.goto(f"{demo_server}/auth/register")
    everything = page.locator("#region option").count()
    page.locator("#province").select_option("jawa-barat")
    provinces = set(
        page.locator("#region option[data-province]").evaluate_all(
            "options => options.map(o => o.dataset.province)"
        )
    )
    assert provinces == {"jawa-barat"}
    assert 10 < page.locator("#region option").count() < everything / 10
    page.locator("#region").select_option("purwakarta")
    page.locator("#province").select_option("aceh")
    expect(page.locator("#region")).to_have_value("")  # a kabupaten of another province goes
    screenshot(page, "register-narrowed")


def test_without_js_a_mismatch_says_where_the_kabupaten_is_and_keeps_the_form(
    demo_server, open_page
):
    page = open_page("phone", javascript=False)
    page.goto(f"{demo_server}/auth/register")
    expect(page.locator("#password-hint")).to_contain_text("8 karakter")  # said up front
    page.fill("#username", "siti_cibatu")
    page.fill("#display_name", "Siti Aminah")
    page.fill("#email", "siti.cibatu@contoh.id")
    page.fill("#password", "rahasia-sekali")
    page.fill("#confirm", "rahasia-sekali")
    page.fill("#library_name", "Perpustakaan Desa Cibatu")
    page.fill("#village", "Cibatu")
    page.fill("#district", "Cibatu")
    page.locator("#province").select_option("aceh")
    page.locator("#region").select_option("purwakarta")
    page.locator("main form").last.locator("button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("#region-error")).to_contain_text("Purwakarta ada di Jawa Barat")
    expect(page.locator("#username")).to_have_value("siti_cibatu")
    expect(page.locator("#library_name")).to_have_value("Perpustakaan Desa Cibatu")
    expect(page.locator("#password")).to_have_value("")
    screenshot(page, "register-mismatch-nojs")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_preview_keeps_the_chosen_photo(demo_app, demo_server, open_page, tmp_path, javascript):
    picture = tmp_path / "pojok-pasar.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (40, 120, 90)).save(buffer, "JPEG")
    picture.write_bytes(buffer.getvalue())
    title = f"Pojok baca di pasar Minggu ({'js' if javascript else 'nojs'})"

    page = open_page("phone", javascript=javascript)
    log_in(page, demo_server, "asep_sukatani")
    page.goto(f"{demo_server}/threads/new")
    page.fill("#title", title)
    page.fill("#body", "Kami membuka lapak baca di pasar bersama @rina_fasilitator dan @yanti.")
    page.locator("details.attachments-fields summary").click()
    page.set_input_files("#files-0", str(picture))
    page.fill("#captions-0", "Anak-anak membaca di lapak buah")
    page.get_by_role("button", name="Pratinjau").click()
    page.wait_for_load_state()

    preview = page.locator("section.preview")
    expect(preview.locator('a[href="/users/rina_fasilitator"]')).to_have_text("@rina_fasilitator")
    expect(preview).to_contain_text("Tidak ada anggota bernama @yanti")
    expect(preview).to_contain_text("pojok-pasar.jpg")
    kept = page.locator("fieldset.kept-files input[name=kept_files]")
    expect(kept).to_be_checked()
    screenshot(page, "preview-keeps-photo" + ("" if javascript else "-nojs"))

    page.get_by_role("button", name="Kirim", exact=True).click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator("article.post.opening img")).to_have_attribute(
        "alt", "Anak-anak membaca di lapak buah"
    )

    def attachments():
        thread = db.session.scalar(sa.select(Thread).where(Thread.title == title))
        return len(db.session.get(Post, thread.opening_post.id).attachments)

    assert given(demo_app, attachments) == 1
