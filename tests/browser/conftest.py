"""A live Serambi on SQLite and Debian's Chromium driven by Playwright.

In CI these tests never skip: a missing Chromium fails them. On a laptop
without /usr/bin/chromium they skip and say why.
"""

from __future__ import annotations

import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from forum import create_app
from forum.config import TestConfig
from forum.database import writing
from forum.extensions import db
from forum.extensions import search
from tests.helpers import IN_CI

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DEVICES = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@contextmanager
def serving(app):
    """Serve ``app`` on a free localhost port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def live_server(sqlite_app):
    """An empty Serambi for the length of one test."""
    with serving(sqlite_app) as url:
        yield url


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    """One app on SQLite with the demo community, shared by a module's tests.

    Starting an app and loading the demo takes about two seconds: journeys that
    share it each make their own threads or replies, so they stay independent.
    """
    tmp = tmp_path_factory.mktemp("demo")
    settings = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'serambi.sqlite'}",
        "SEARCH_INDEX_DIR": str(tmp / "search_index"),
        "UPLOADS_DIR": str(tmp / "uploads"),  # photos posted by journeys stay out of instance/
    }
    app = create_app(type("C", (TestConfig,), settings))
    with app.app_context():
        from forum.demo import load_demo

        db.create_all()
        search.rebuild([], 0)
        with writing():
            load_demo()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def demo_server(demo_app):
    with serving(demo_app) as url:
        yield url


@pytest.fixture(params=list(DEVICES), ids=list(DEVICES))
def page(request, browser):
    context = browser.new_context(viewport=DEVICES[request.param], locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def open_page(browser):
    """Open a page in a fresh browser context (its own cookies): ``open_page("phone")``."""
    contexts = []

    def open_page(device: str = "phone", *, javascript: bool = True, **options):
        context = browser.new_context(
            viewport=DEVICES[device],
            locale=options.pop("locale", "id-ID"),
            java_script_enabled=javascript,
            **options,
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    for context in contexts:
        context.close()
