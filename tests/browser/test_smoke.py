"""The first journey in a real browser: register, post a practice, read it back."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.helpers import BROWSER_TEST_MARKS
from tests.browser.helpers import header_menu
from tests.browser.helpers import screenshot

pytestmark = BROWSER_TEST_MARKS


def test_register_post_and_read(live_server, page):
    page.goto(f"{live_server}/auth/register")
    page.get_by_label("Nama pengguna").fill("dewi_sukamaju")
    page.get_by_label("Nama tampilan").fill("Dewi Lestari")
    page.get_by_label("E-mail").fill("dewi@contoh.id")
    page.get_by_label("Kata sandi", exact=True).fill("rahasia-dewi")
    page.get_by_label("Ulangi kata sandi").fill("rahasia-dewi")
    page.get_by_label("Nama perpustakaan").fill("Perpustakaan Desa Sukamaju")
    page.get_by_label("Desa/kelurahan", exact=False).first.fill("Sukamaju")
    page.get_by_label("Kecamatan", exact=False).first.fill("Sukatani")
    page.get_by_label("Provinsi").select_option("jawa-barat")
    page.get_by_label("Kabupaten/kota").select_option("purwakarta")
    screenshot(page, "register")
    page.get_by_role("button", name="Daftar").click()
    expect(header_menu(page).get_by_role("link", name="Dewi Lestari")).to_be_visible()

    page.goto(f"{live_server}/threads/new")
    page.get_by_label("Judul").fill("Kelas literasi digital untuk ibu-ibu PKK")
    page.get_by_label("Teks").fill("Setiap Kamis kami **melatih** ibu-ibu berjualan daring.")
    page.get_by_label("Tag").fill("literasi digital, pelatihan")
    page.get_by_role("button", name="Pratinjau").click()
    assert page.locator(".preview strong").inner_text() == "melatih"
    page.get_by_role("button", name="Kirim").click()

    page.wait_for_url("**/threads/*")
    expect(
        page.get_by_role("heading", name="Kelas literasi digital untuk ibu-ibu PKK")
    ).to_be_visible()
    assert page.locator(".tags").inner_text().split() == ["#literasi-digital", "#pelatihan"]
    # Phone first: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "thread")
