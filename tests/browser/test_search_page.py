"""The search page on a phone and a desktop: a question typed as in WhatsApp, a typo
corrected with a way back to what was typed, the filters' hint in Indonesian."""

from __future__ import annotations

from tests.browser.helpers import BROWSER_TEST_MARKS
from tests.browser.helpers import assert_phone_friendly
from tests.browser.helpers import screenshot

pytestmark = BROWSER_TEST_MARKS


def test_a_typo_is_corrected_with_a_way_back(demo_server, page):
    page.goto(f"{demo_server}/search?q=literasy")
    correction = page.locator(".correction")
    assert "Menampilkan hasil untuk:" in correction.inner_text()
    assert "Cari persis:" in correction.inner_text()
    page.locator("details.filters-box summary").click()
    assert "wilayah:provinsi-jawa-barat" in page.locator(".filters-box").inner_text()
    screenshot(page, "search-corrected")
    assert_phone_friendly(page)
    correction.get_by_role("link", name="literasy").click()
    page.wait_for_url("**exact=1**")
    assert page.locator(".correction").count() == 0


def test_a_question_in_chat_spelling_finds_its_thread_first(demo_server, page):
    page.goto(f"{demo_server}/search?q=bagaimana+mengatasi+buku+tdk+dikembalikan")
    first = page.locator(".hit-title a").first.inner_text()
    assert first.startswith("Banyak buku tidak dikembalikan")
    screenshot(page, "search-question")
