"""Made for a phone (issue 16): what a librarian on a 360 px screen meets first.

Readable search suggestions, a short header that leaves the lists in view, and
sharing a thread where librarians talk.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import BROWSER_TEST_MARKS
from tests.browser.helpers import log_in
from tests.browser.helpers import screenshot

pytestmark = BROWSER_TEST_MARKS


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


def contrast_failures(page, selector: str) -> list[str]:
    """axe-core's color-contrast rule (the copy vendored by axe-playwright-python)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page, context=selector, options={"runOnly": {"type": "rule", "values": ["color-contrast"]}}
    )
    return [
        f"{node['target']}: {node['any'][0]['message'] if node['any'] else ''}"
        for violation in results.response["violations"]
        for node in violation["nodes"]
    ]


def test_search_suggestions_are_readable_while_the_list_is_open(demo_server, axe_page):
    axe_page.goto(demo_server + "/")
    axe_page.locator("#site-search").fill("pelatihan")
    suggestion = axe_page.locator(".suggestions a").first
    suggestion.wait_for()
    screenshot(axe_page, "search-suggestions")

    colours = suggestion.evaluate(
        "el => [getComputedStyle(el).color,"
        " getComputedStyle(el.closest('.suggestions')).backgroundColor]"
    )
    assert colours == ["rgb(29, 35, 39)", "rgb(255, 255, 255)"]  # dark ink on an opaque box
    assert axe_page.locator(".suggestions a").count() >= 1
    assert contrast_failures(axe_page, ".suggest-box") == []


HEADER_ROWS_JS = """
() => {
  // The rows the header's visible controls sit on (tops within 8 px are one row).
  const tops = [];
  const controls = ['.brand', '.search-box', '.main-links > li', '.menu > summary'];
  for (const el of document.querySelectorAll(controls.map((s) => 'header.site ' + s).join())) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (!tops.some((top) => Math.abs(top - box.top) < 8)) tops.push(box.top);
  }
  return tops.length;
}
"""


def first_screen(page) -> dict:
    return page.evaluate(
        """() => ({
          header: document.querySelector('header.site').getBoundingClientRect().height,
          firstItem: document.querySelector('main .threads > li').getBoundingClientRect().top,
          screen: window.innerHeight,
        })"""
    )


@pytest.mark.parametrize("member", [None, "asep_sukatani", "rina_fasilitator"])
def test_on_a_phone_the_header_is_short_and_the_first_list_item_is_on_the_first_screen(
    demo_server, open_page, member
):
    page = open_page("phone")
    if member:
        log_in(page, demo_server, member)
    for path in ["/", "/threads?kind=challenge"]:
        page.goto(demo_server + path)
        measured = first_screen(page)
        assert measured["header"] <= 120, (path, measured)
        assert page.evaluate(HEADER_ROWS_JS) <= 2, path
        # The first thread's title is readable without scrolling.
        first_title = page.locator("main .threads > li .thread-title").first.bounding_box()
        assert first_title["y"] + first_title["height"] <= measured["screen"], (path, measured)
    screenshot(page, f"header-{member or 'visitor'}")

    header = page.locator("header.site")
    assert header.get_by_role("button", name="Keluar").is_visible() is False
    assert header.get_by_role("link", name="Praktik baik").is_visible()


def test_the_home_page_shows_each_list_once(demo_server, open_page):
    page = open_page("desktop")
    page.goto(demo_server + "/")
    titles = page.locator("main .thread-title a").all_inner_texts()
    assert titles and len(titles) == len(set(titles))
    assert page.get_by_role("heading", name="Aktivitas terbaru").count() == 0
    page.get_by_role("link", name="Semua diskusi").click()
    page.wait_for_url("**/threads")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_the_header_menu_holds_language_and_log_out_and_works_without_javascript(
    demo_server, open_page, javascript
):
    page = open_page("phone", javascript=javascript)
    # Each run its own member: choosing English is remembered in the profile.
    log_in(page, demo_server, "ilham_borongloe" if javascript else "baiq_pringgasela")
    page.goto(demo_server + "/threads?kind=practice")
    menu = page.locator("header.site details.menu")
    menu.locator("summary").click()
    assert menu.get_attribute("open") is not None
    screenshot(page, f"header-menu-{'js' if javascript else 'nojs'}")
    assert menu.get_by_role("link", name="Tersimpan").is_visible()
    menu.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.url.endswith("/threads?kind=practice")  # back where the member was
    assert page.locator("html").get_attribute("lang") == "en"

    page.locator("header.site details.menu summary").click()
    page.locator("header.site").get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    assert page.locator("header.site").get_by_role("link", name="Log in").is_visible()


def test_a_thread_is_shared_to_whatsapp_or_its_link_copied_in_one_tap(
    demo_app, demo_server, open_page
):
    page = open_page("phone")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{demo_server}/threads/1")
    address = f"{demo_app.config['BASE_URL']}/threads/1"
    title = page.get_by_role("heading", level=1).inner_text()

    whatsapp = page.get_by_role("link", name="Bagikan ke WhatsApp")
    assert whatsapp.get_attribute("href").startswith("https://wa.me/?text=")
    page.get_by_role("link", name="Salin tautan").click()
    expect(page.get_by_text("Tautan disalin. Tempelkan di obrolan.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == address
    assert page.url == f"{demo_server}/threads/1"  # copied, not followed
    assert page.locator('meta[property="og:title"]').get_attribute("content") == title
    assert page.locator('meta[property="og:url"]').get_attribute("content") == address
    page.locator("#share").scroll_into_view_if_needed()
    screenshot(page, "thread-share")


def test_after_replying_the_member_sees_it_was_posted_where_they_land(demo_server, open_page):
    page = open_page("phone")
    log_in(page, demo_server, "yanti_wanayasa", next_path="/threads/3")
    page.get_by_label("Balasan Anda").fill("Kami coba minggu depan, terima kasih.")
    page.get_by_role("button", name="Kirim").click()
    page.wait_for_load_state()
    assert "#post-" in page.url  # the page opens at the new reply, far below the top
    message = page.get_by_text("Balasan Anda sudah terkirim.")
    expect(message).to_be_in_viewport()
    screenshot(page, "reply-posted")

    page.goto(f"{demo_server}/notifications")
    assert page.locator(".notification .excerpt").count() >= 1
    screenshot(page, "notifications-excerpts")


# A select's scrollWidth does not grow with its text: lay the chosen option's text out in
# a span of the select's font, and leave room for the padding and the arrow.
CHOSEN_OPTION_FITS = """el => {
  const style = getComputedStyle(el);
  const span = document.createElement("span");
  span.style.cssText = "position: absolute; white-space: pre; visibility: hidden";
  span.style.font = style.font;
  span.textContent = el.options[el.selectedIndex].text;
  document.body.append(span);
  const text = span.getBoundingClientRect().width;
  span.remove();
  return text + parseFloat(style.paddingLeft) + 20 <= el.clientWidth;
}"""


@pytest.mark.parametrize("device", ["phone", "desktop"])
@pytest.mark.parametrize("path", ["/threads?kind=challenge", "/support"])
def test_each_list_filter_label_sits_on_the_row_of_its_field(demo_server, open_page, device, path):
    page = open_page(device)
    page.goto(f"{demo_server}{path}")
    labels = page.locator("form.list-filters label").all()
    assert labels
    for label in labels:
        field = page.locator("#" + label.get_attribute("for"))
        label_box, field_box = label.bounding_box(), field.bounding_box()
        middle = label_box["y"] + label_box["height"] / 2
        assert field_box["y"] <= middle <= field_box["y"] + field_box["height"], label.inner_text()
        # The chosen option is read whole ("Semua wilayah", not "Semua wilay").
        assert field.evaluate(CHOSEN_OPTION_FITS), label.inner_text()
