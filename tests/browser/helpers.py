"""What browser tests share besides fixtures: marks, logging in, screenshots, phone checks."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from forum.database import writing
from forum.extensions import db
from forum.models import Thread
from forum.models import User
from forum.threads import service as threads

BROWSER_TEST_MARKS = [
    pytest.mark.browser,
    pytest.mark.slow,  # a real Chromium and a live server
    # werkzeug's development server leaves a static file to the garbage collector
    # when it answers 304 Not Modified; gunicorn closes it. Only that is ignored.
    pytest.mark.filterwarnings(
        r"ignore:Exception ignored in.*_io\.(FileIO|BufferedReader) name='[^']*/static/"
        r":pytest.PytestUnraisableExceptionWarning"
    ),
]

SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"

DEMO_PASSWORD = "serambi-demo"  # forum/data/demo_community.json


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)


def log_in(page, server: str, username: str, password: str = DEMO_PASSWORD, next_path=None):
    """Log in through the real form (Indonesian labels: the default language)."""
    page.goto(f"{server}/auth/login" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def header_menu(page):
    """The header's menu (account, language, log out), opened: it works without JS."""
    menu = page.locator("header.site details.menu")
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()
    return menu


# Controls a finger has to hit: buttons, fields, disclosure toggles, and links
# that act as controls (action rows, pagers, tags, list titles, link buttons).
# A link inside running text is exempt, as WCAG 2.5.8 exempts inline targets,
# and so is anything inside text members wrote.
_SMALL_TARGETS_JS = """
() => {
  const selector = [
    'button', 'input:not([type=hidden]):not([type=checkbox]):not([type=radio])', 'select',
    'textarea', 'summary', 'a.button', 'nav a', '.actions a', '.buttons a', '.pager a',
    '.tags a', '.goto a', '.thread-title a', '.hit-title a',
  ].map((s) => 'main ' + s).concat(['footer.site button']).join(', ');
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.closest('.body, .snippet, .preview')) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not shown
    if (box.height < 44) {
      const name = (el.textContent || el.name || '').trim().slice(0, 40);
      small.push(`${el.tagName.toLowerCase()} "${name}" ${Math.round(box.height)}px`);
    }
  }
  return small;
}
"""


def small_tap_targets(page) -> list[str]:
    return page.evaluate(_SMALL_TARGETS_JS)


def assert_phone_friendly(page) -> None:
    """Nothing wider than the screen, and every control at least 44 px high."""
    # A heading can be visible before the stylesheet has loaded; measure the styled page.
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"{page.url} scrolls sideways: {page.evaluate('document.documentElement.scrollWidth')}px"
    )
    small = small_tap_targets(page)
    assert small == [], f"{page.url}: {small}"


BOTH = pytest.mark.parametrize("device", ["phone", "desktop"])

BOTH_AND_NO_JS = pytest.mark.parametrize("device", ["phone", "desktop", "phone-nojs"])


def open_device(open_page, device: str):
    return open_page(device.removesuffix("-nojs"), javascript=not device.endswith("-nojs"))


def shot(page, name: str, device: str) -> None:
    screenshot(page, f"{name}-nojs" if device.endswith("-nojs") else name)


def member_named(username: str) -> User:
    """The demo member with this username (inside an app context)."""
    return db.session.scalar(sa.select(User).where(User.username == username))


def given(app, make):
    """Run ``make()`` against the live app's database and commit (test setup)."""
    with app.app_context(), writing():
        result = make()
        db.session.commit()
        return result


def add_reply(app, thread_id: int, author: str, body: str) -> int:
    def make():
        reply = threads.create_reply(member_named(author), db.session.get(Thread, thread_id), body)
        db.session.flush()
        return reply.id

    return given(app, make)
