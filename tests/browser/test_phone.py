"""Made for a phone (issue 16): what a librarian on a 360 px screen meets first.

Readable search suggestions, a short header that leaves the lists in view, and
sharing a thread where librarians talk.
"""

from __future__ import annotations

import pytest

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
