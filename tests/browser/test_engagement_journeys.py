"""Journeys through what members keep and hear about, in a real browser.

Following and mentions (the bell), bookmarks, a practice report with sections
and a photo, similar threads while typing a title, and drafts. Like
test_journeys.py: one shared demo community per module, each journey makes its
own thread so phone and desktop runs do not meet, and every page visited must
fit 360 px with controls at least 44 px high.
"""

from __future__ import annotations

import io
import random
import re

import pytest
import sqlalchemy as sa
from PIL import Image
from PIL import ImageDraw
from playwright.sync_api import expect

from forum.attachments.models import Attachment
from forum.attachments.storage import get_storage
from forum.extensions import db
from forum.models import Post
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


def new_thread(app, author: str, title: str, body: str, tags=("koleksi",)) -> int:
    def make():
        thread = threads.create_thread(member_named(author), "challenge", title, body, list(tags))
        db.session.flush()
        return thread.id

    return given(app, make)


def bell_count(page) -> int:
    count = page.locator("header.site .bell .count")
    return int(count.inner_text()) if count.count() else 0


@BOTH
def test_follow_a_thread_then_hear_of_a_mention(demo_app, demo_server, open_page, device):
    title = f"Buku sumbangan basah kena banjir, bisa diselamatkan? ({device})"
    thread_id = new_thread(demo_app, "yanti_wanayasa", title, "Banjir kemarin masuk ruang baca.")
    answer = f"@sri_kalisalak pernah mengeringkan buku dengan kertas koran, coba tanya ({device})."

    follower = open_page(device)
    log_in(follower, demo_server, "sri_kalisalak", next_path=f"/threads/{thread_id}")
    unread_before = bell_count(follower)
    actions = follower.locator("#thread-actions")
    actions.get_by_role("button", name="Ikuti", exact=True).click()
    expect(follower.get_by_text("Anda mengikuti diskusi ini")).to_be_visible()
    assert (
        actions.get_by_role("button", name="Berhenti mengikuti").get_attribute("aria-pressed")
        == "true"
    )
    assert_phone_friendly(follower)

    replier = open_page(device)
    log_in(replier, demo_server, "ilham_borongloe", next_path=f"/threads/{thread_id}")
    replier.get_by_label("Balasan Anda").fill(answer)
    replier.get_by_role("button", name="Kirim balasan").click()
    replier.wait_for_url(re.compile(rf"/threads/{thread_id}#post-\d+$"))
    # The mention is a link to the member's profile.
    mention = replier.locator("article.post:target .body a", has_text="@sri_kalisalak")
    assert mention.get_attribute("href").endswith("/users/sri_kalisalak")

    add_reply(
        demo_app, thread_id, "asep_sukatani", f"Jemur di tempat teduh, jangan di terik ({device})."
    )
    follower.goto(demo_server)
    # One notice per reply: followed and mentioned is still one.
    assert bell_count(follower) == unread_before + 2
    assert_phone_friendly(follower)
    follower.locator("header.site .bell").click()
    item = follower.locator("li.notification", has_text=title).filter(has_text="Ilham")
    assert follower.locator("li.notification", has_text=title).count() == 2
    assert "unread" in item.get_attribute("class")
    assert "Ilham Syamsuddin menyebut Anda" in item.inner_text()  # the mention, not "replied"
    expect(item.get_by_text("Baru", exact=True)).to_be_visible()
    assert_phone_friendly(follower)
    shot(follower, "notifications", device)

    # Opening it lands on the reply, and the notice is read.
    item.get_by_role("button", name=re.compile("Ilham")).click()
    follower.wait_for_url(re.compile(rf"/threads/{thread_id}#post-\d+$"))
    target = follower.locator("article.post:target")
    assert answer.removeprefix("@sri_kalisalak ") in target.inner_text()
    expect(target).to_be_visible()
    assert bell_count(follower) == unread_before + 1
    assert_phone_friendly(follower)

    follower.locator("header.site .bell").click()
    assert "unread" not in item.get_attribute("class")
    follower.get_by_role("button", name="Tandai semua sudah dibaca").click()
    expect(follower.get_by_text("Semua pemberitahuan ditandai sudah dibaca.")).to_be_visible()
    assert follower.locator("li.notification.unread").count() == 0
    assert bell_count(follower) == 0
    assert follower.get_by_role("button", name="Tandai semua sudah dibaca").count() == 0
    assert_phone_friendly(follower)


@BOTH_AND_NO_JS
def test_bookmark_a_thread_find_it_and_remove_it(demo_app, demo_server, open_page, device):
    title = f"Rak buku anak terlalu tinggi, bagaimana menurunkannya? ({device})"
    thread_id = new_thread(demo_app, "baiq_pringgasela", title, "Anak-anak tidak sampai.")
    page = open_device(open_page, device)
    log_in(page, demo_server, "neneng_sukatani", next_path=f"/threads/{thread_id}")

    page.locator("#thread-actions").get_by_role("button", name="Simpan", exact=True).click()
    expect(page.get_by_text("Disimpan. Semua yang Anda simpan ada di menu")).to_be_visible()
    remove = page.locator("#thread-actions").get_by_role("button", name="Batal simpan")
    assert remove.get_attribute("aria-pressed") == "true"
    # A helpful mark on the opening post, while here.
    page.locator("article.opening").get_by_role("button", name="Bermanfaat").click()
    expect(page.get_by_text("Ditandai bermanfaat. Terima kasih!")).to_be_visible()
    assert "1 anggota" in page.locator("article.opening .helpful").inner_text()
    assert_phone_friendly(page)
    shot(page, "bookmarked-thread", device)

    header_menu(page).get_by_role("link", name="Tersimpan", exact=True).click()
    page.wait_for_url("**/bookmarks")
    assert_phone_friendly(page)
    shot(page, "bookmarks", device)
    page.get_by_role("link", name=title).click()
    page.wait_for_url(f"**/threads/{thread_id}")

    page.locator("#thread-actions").get_by_role("button", name="Batal simpan").click()
    expect(page.get_by_text("Tidak lagi disimpan.")).to_be_visible()
    page.goto(f"{demo_server}/bookmarks")
    assert page.get_by_role("link", name=title).count() == 0
    assert_phone_friendly(page)


def photo_jpeg(width: int = 2000, height: int = 1500) -> bytes:
    """A photo-like JPEG over 1 MB (so attach.js finds it worth shrinking): shapes and grain."""
    rng = random.Random(7)
    image = Image.new("RGB", (width, height), (180, 150, 110))
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y = rng.randrange(width), rng.randrange(height)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.rectangle((x, y, x + rng.randrange(80, 400), y + rng.randrange(200, 700)), colour)
    grain = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    image = Image.blend(image, grain, 0.25)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


@pytest.fixture(scope="module")
def photo() -> bytes:
    data = photo_jpeg()
    assert len(data) > 1024 * 1024
    return data


@BOTH_AND_NO_JS
def test_post_a_practice_with_sections_and_a_photo(demo_app, demo_server, open_page, photo, device):
    title = f"Rak buku dari bambu buatan karang taruna ({device})"
    caption = "Rak bambu tiga susun di ruang baca, penuh buku anak"
    page = open_device(open_page, device)
    log_in(page, demo_server, "sugeng_nglanggeran", next_path="/threads/new")

    page.get_by_label("Praktik baik").check()
    page.get_by_label("Judul").fill(title)
    page.get_by_label("Teks").fill("Karang taruna membuat rak dari bambu desa dalam dua hari.")
    page.get_by_label("Tag").fill("sarana, karang taruna")
    sections = page.locator("details.sections", has_text="Bagian laporan praktik baik")
    sections.locator("summary").click()
    sections.get_by_label("Latar belakang").fill("Buku ditumpuk di kardus karena tidak ada rak.")
    sections.get_by_label("Peserta").fill("12")
    attachments = page.locator("details.attachments-fields")
    attachments.locator("summary").click()
    file_input = attachments.get_by_label("Berkas 1", exact=True)
    file_input.set_input_files(
        {"name": "rak-bambu.jpeg", "mimeType": "image/jpeg", "buffer": photo}
    )
    attachments.locator("#captions-0").fill(caption)
    if not device.endswith("-nojs"):
        # attach.js swaps in a smaller copy before anything is sent.
        page.wait_for_function(
            "size => document.getElementById('files-0').files[0].size < size", arg=len(photo)
        )
    assert_phone_friendly(page)
    shot(page, "new-practice", device)
    page.get_by_role("button", name="Kirim", exact=True).click()

    page.wait_for_url(re.compile(r"/threads/\d+$"))
    thread_id = int(re.search(r"/threads/(\d+)", page.url).group(1))
    headings = page.locator("article.opening .report-section h3").all_inner_texts()
    assert headings == ["Latar belakang", "Peserta"]
    assert "tidak ada rak" in page.locator("article.opening .report-section").first.inner_text()
    thumb = page.locator("article.opening ul.attachments img")
    assert thumb.get_attribute("loading") == "lazy"
    assert thumb.get_attribute("alt") == caption
    width, height = int(thumb.get_attribute("width")), int(thumb.get_attribute("height"))
    assert (width, height) == (400, 300)  # 4:3 kept, no layout jump while it loads
    thumb.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    assert_phone_friendly(page)
    shot(page, "practice-with-photo", device)

    with demo_app.app_context():
        stored = db.session.scalar(
            sa.select(Attachment).join(Post).where(Post.thread_id == thread_id)
        )
        image = Image.open(io.BytesIO(get_storage().read(stored.storage_key)))
        assert max(image.size) <= 1600
        assert image.size == (stored.width, stored.height) == (1600, 1200)
        assert db.session.get(Thread, thread_id).participants == 12

    # A tap on the thumbnail opens the photo itself.
    href = page.locator("article.opening ul.attachments a").get_attribute("href")
    response = page.request.get(demo_server + href)
    assert response.ok and response.headers["content-type"] == "image/jpeg"


@BOTH
def test_similar_threads_appear_while_typing_a_title(demo_server, open_page, device):
    page = open_page(device)
    log_in(page, demo_server, "asep_sukatani", next_path="/threads/new")
    assert page.locator("#similar-threads").inner_text() == ""
    page.get_by_label("Judul").press_sequentially("Motor pustaka keliling mogok", delay=20)

    similar = page.locator("#similar-threads")
    similar.get_by_role("heading", name="Diskusi serupa").wait_for()
    titles = similar.get_by_role("listitem").all_inner_texts()
    assert any(t.startswith("Motor pustaka sering mogok") for t in titles), titles
    assert_phone_friendly(page)
    shot(page, "similar-while-typing", device)

    similar.get_by_role("link", name=re.compile("^Motor pustaka sering mogok")).click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Motor pustaka sering")


@BOTH_AND_NO_JS
def test_save_a_reply_as_a_draft_and_find_it_again(demo_app, demo_server, open_page, device):
    # compose.js autosaves every 20 s, a fixed interval: waiting for it would
    # double this journey's time, so only the button is tried here.
    title = f"Kartu anggota hilang terus, pakai apa sebagai gantinya? ({device})"
    thread_id = new_thread(demo_app, "asep_sukatani", title, "Kartu kertas cepat rusak.")
    text = f"Kami pakai nomor HP sebagai nomor anggota, belum selesai menulis ({device})"
    page = open_device(open_page, device)
    log_in(page, demo_server, "yanti_wanayasa", next_path=f"/threads/{thread_id}")

    page.get_by_label("Balasan Anda").fill(text)
    page.get_by_role("button", name="Simpan draf").click()
    expect(page.get_by_text("Draf Anda tersimpan.")).to_be_visible()
    assert page.get_by_label("Balasan Anda").input_value() == text
    page.reload()
    assert page.get_by_label("Balasan Anda").input_value() == text
    assert_phone_friendly(page)

    page.goto(f"{demo_server}/drafts")
    entry = page.locator("ul.drafts > li", has_text=title)
    assert text in entry.inner_text()
    assert_phone_friendly(page)
    shot(page, "drafts", device)
    entry.get_by_role("link", name=re.compile("Balasan untuk")).click()
    page.wait_for_url(f"**/threads/{thread_id}#reply-heading")
    page.get_by_label("Balasan Anda").fill(text + ", sekarang selesai.")
    page.get_by_role("button", name="Kirim balasan").click()
    assert "sekarang selesai" in page.locator("article.post:target").inner_text()

    page.goto(f"{demo_server}/drafts")
    assert page.locator("ul.drafts > li", has_text=title).count() == 0  # posted: gone
