"""Made for a phone, round two (issue 16), the rest: registration offers the libraries of the
chosen kabupaten/kota and a member of that library confirms the newcomer; a photo's upload
shows its progress; the edit-reply page offers members after "@".

At 360x740 in Debian's Chromium against the demo community, with JavaScript on and, for
registration, off.
"""

from __future__ import annotations

import io
import random

from PIL import Image
from playwright.sync_api import expect

from forum.extensions import db
from forum.threads import service as threads
from tests.browser.helpers import BROWSER_TEST_MARKS
from tests.browser.helpers import add_reply
from tests.browser.helpers import given
from tests.browser.helpers import log_in
from tests.browser.helpers import member_named
from tests.browser.helpers import screenshot

pytestmark = BROWSER_TEST_MARKS

SUKATANI = "Perpustakaan Desa Sukatani"  # the demo's, with asep_sukatani and neneng_sukatani


def thread_of(app, kind: str, title: str) -> int:
    """A new thread by a demo facilitator, so journeys do not share one."""

    def make():
        thread = threads.create_thread(member_named("rina_fasilitator"), kind, title, "Cerita.", [])
        db.session.flush()
        return thread.id

    return given(app, make)


def fill_newcomer(page, username: str) -> None:
    page.fill("#username", username)
    page.fill("#display_name", "Dewi Lestari")
    page.fill("#email", f"{username}@contoh.id")
    page.fill("#password", "rahasia-sekali")
    page.fill("#confirm", "rahasia-sekali")
    page.locator("#province").select_option("jawa-barat")
    page.locator("#region").select_option("purwakarta")


def send_registration(page) -> None:
    page.get_by_role("button", name="Daftar", exact=True).click()
    page.wait_for_load_state()


def test_registration_offers_the_library_and_a_member_confirms_the_newcomer(demo_server, open_page):
    page = open_page("phone")
    page.goto(f"{demo_server}/auth/register")
    fill_newcomer(page, "dewi_sukatani")
    # The kabupaten/kota's libraries arrive in the list the name field offers.
    expect(page.locator(f'#library-names option[value="{SUKATANI}"]')).to_have_count(1)
    page.fill("#library_name", SUKATANI)  # as if picked from the list the field offers
    expect(page.locator("#village")).to_have_value("Sukatani")
    expect(page.locator("#district")).to_have_value("Kecamatan Sukatani")
    screenshot(page, "register-library-offered")
    send_registration(page)
    expect(page.locator(".flash", has_text="Anda meminta bergabung")).to_be_visible()
    page.goto(f"{demo_server}/users/dewi_sukatani")
    expect(page.locator("main .badge.waiting")).to_have_text("menunggu konfirmasi")
    screenshot(page, "profile-join-waiting")

    librarian = open_page("phone")
    log_in(librarian, demo_server, "asep_sukatani")
    librarian.goto(f"{demo_server}/notifications")
    librarian.get_by_role("button", name="Dewi Lestari meminta bergabung").click()
    librarian.wait_for_load_state()
    request = librarian.locator("section.pending", has_text="Dewi Lestari")
    expect(request).to_contain_text(f"ingin bergabung dengan {SUKATANI}")
    screenshot(librarian, "library-requests")
    request.get_by_role("button", name="Konfirmasi", exact=True).click()
    librarian.wait_for_load_state()
    expect(librarian.locator("main")).to_contain_text(f"Dewi Lestari kini anggota {SUKATANI}")

    page.goto(f"{demo_server}/users/dewi_sukatani")
    expect(page.locator("main .badge.waiting")).to_have_count(0)
    expect(page.locator("main .meta").first).to_contain_text(SUKATANI)


def test_without_js_a_returned_form_lists_the_kabupaten_libraries_to_pick(demo_server, open_page):
    page = open_page("phone", javascript=False)
    page.goto(f"{demo_server}/auth/register")
    fill_newcomer(page, "rudi_sukatani")
    page.fill("#confirm", "bukan-yang-sama")  # a slip: the form comes back
    send_registration(page)
    listed = page.locator("fieldset#library_pick")
    expect(listed).to_contain_text("Sudah terdaftar di Purwakarta")
    screenshot(page, "register-library-list-nojs")
    listed.get_by_label(SUKATANI).check()
    page.fill("#password", "rahasia-sekali")
    page.fill("#confirm", "rahasia-sekali")
    send_registration(page)
    page.goto(f"{demo_server}/users/rudi_sukatani")
    expect(page.locator("main .meta").first).to_contain_text(SUKATANI)
    expect(page.locator("main .badge.waiting")).to_have_text("menunggu konfirmasi")


def test_a_photo_upload_shows_its_progress_and_lands_on_the_reply(
    demo_app, demo_server, open_page, tmp_path
):
    thread_id = thread_of(demo_app, "practice", "Foto kegiatan mendongeng")
    noise = random.Random(16)
    picture = tmp_path / "mendongeng.jpg"
    buffer = io.BytesIO()  # noise: a JPEG of ~0.5 MB, under the size the browser shrinks
    Image.frombytes("RGB", (500, 400), bytes(noise.getrandbits(8) for _ in range(600_000))).save(
        buffer, "JPEG", quality=95
    )
    picture.write_bytes(buffer.getvalue())

    page = open_page("phone")
    log_in(page, demo_server, "asep_sukatani")
    page.goto(f"{demo_server}/threads/{thread_id}")
    page.context.new_cdp_session(page).send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 50, "downloadThroughput": -1, "uploadThroughput": 100_000},
    )
    form = page.locator("form[data-draft]")
    form.locator("textarea[name=body]").fill("Ini foto anak-anak mendengarkan dongeng.")
    form.locator("details.attachments-fields summary").click()
    form.locator("input[type=file]").first.set_input_files(str(picture))
    form.locator("button[name=submit], input[name=submit]").click()

    bar = form.locator(".sending progress")
    expect(bar).to_be_visible()
    expect(form.locator("button[name=submit], input[name=submit]")).to_be_disabled()
    # A function, not an expression: Playwright evals an expression, which the CSP refuses.
    page.wait_for_function("() => document.querySelector('.sending progress')?.value > 0")
    screenshot(page, "upload-progress")
    page.wait_for_url("**#post-*", timeout=30_000)
    reply = page.locator("article.post").last
    expect(reply).to_contain_text("mendengarkan dongeng")
    expect(reply).to_be_in_viewport()  # landed at the reply, not at the top of the page
    expect(page.locator("article.post").last.locator("img")).to_have_count(1)


def test_the_edit_reply_page_offers_members_after_at(demo_app, demo_server, open_page):
    thread_id = thread_of(demo_app, "challenge", "Menyunting balasan")
    reply_id = add_reply(demo_app, thread_id, "asep_sukatani", "Terima kasih")
    page = open_page("phone")
    log_in(page, demo_server, "asep_sukatani")
    page.goto(f"{demo_server}/posts/{reply_id}/edit")
    box = page.locator("textarea[name=body]")
    box.click()
    box.press("End")
    box.type(" @marl", delay=30)
    offer = page.locator(".mention-list button", has_text="@rina_fasilitator")
    expect(offer).to_be_visible()
    screenshot(page, "edit-reply-mention")
    offer.click()
    expect(box).to_have_value("Terima kasih @rina_fasilitator ")
