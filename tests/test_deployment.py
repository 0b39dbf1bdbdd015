"""Deployment hygiene: links from the configured base URL, unknown hosts refused,
private pages never cached, trusted proxies as a setting, secure cookies in production.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from forum import create_app
from forum.config import TestConfig
from tests.helpers import client_for
from tests.helpers import csrf_token
from tests.helpers import login_as

BASE = "https://serambi.example.id"
RESET_LINK_RE = re.compile(r'value="([^"]*/auth/reset/[^"]+)"')


@pytest.fixture
def based_app(sibling_app):
    """The ``app`` fixture's database and index, served as ``BASE``."""
    return lambda **config: sibling_app(**{"BASE_URL": BASE, **config})


# --- links that leave the page ----------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "serambi.example.id.evil.example", "evil:80"])
def test_a_request_naming_another_host_is_refused(based_app, make_user, facilitator, host):
    served = based_app()
    make_user("mira")
    browser = client_for(served, facilitator)
    token = csrf_token(browser, "/mod/users/mira")
    # The browser sends its cookie whatever Host it names (as a proxy would pass it on).
    browser.set_cookie("session", browser.get_cookie("session").value, domain=host.split(":")[0])
    response = browser.post(
        "/mod/users/mira/reset-link", data={"csrf_token": token}, headers={"Host": host}
    )
    assert response.status_code == 400
    assert host.split(":")[0] not in response.get_data(as_text=True)
    assert browser.get("/", headers={"Host": host}).status_code == 400


def test_reset_link_starts_with_the_base_url_whatever_the_request_says(
    based_app, make_user, facilitator
):
    served = based_app()
    make_user("mira")
    browser = client_for(served, facilitator)
    token = csrf_token(browser, "/mod/users/mira")
    response = browser.post(
        "/mod/users/mira/reset-link",
        data={"csrf_token": token},
        headers={"Host": "localhost:8000", "X-Forwarded-Host": "evil.example"},
    )
    assert response.status_code == 200
    link = RESET_LINK_RE.search(response.get_data(as_text=True)).group(1)
    assert link.startswith(f"{BASE}/auth/reset/")


def test_export_addresses_start_with_the_base_url(based_app, facilitator, make_thread):
    served = based_app()
    make_thread(title="Pojok baca di pasar")
    browser = client_for(served, facilitator)
    response = browser.get(
        "/dashboard/export.csv",
        query_string={"table": "threads"},
        headers={"Host": "localhost:8000"},
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    addresses = [cell for row in rows[1:] for cell in row if "/threads/" in cell]
    assert addresses and all(a.startswith(f"{BASE}/threads/") for a in addresses)


def test_extra_trusted_hosts_are_answered(based_app):
    served = based_app(EXTRA_TRUSTED_HOSTS="192.168.1.10, serambi.lan")
    client = served.test_client()
    for host in (
        "192.168.1.10:8000",
        "serambi.lan",
        "serambi.example.id",
        "127.0.0.1",
        "localhost",
    ):
        assert client.get("/", headers={"Host": host}).status_code == 200, host
    assert client.get("/", headers={"Host": "192.168.1.11"}).status_code == 400


# --- production settings ----------------------------------------------------------------


def production(**overrides):
    settings = {
        "SERAMBI_ENV": "production",
        "SECRET_KEY": "a-real-secret",
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        **overrides,
    }
    return type("P", (TestConfig,), settings)


def test_production_needs_a_base_url():
    with pytest.raises(RuntimeError, match="SERAMBI_BASE_URL"):
        create_app(production(BASE_URL=None))


@pytest.mark.parametrize(
    "base", ["serambi.example.id", "ftp://serambi.example.id", "https://", "https://x.id/?a=1"]
)
def test_a_malformed_base_url_stops_the_start(base):
    with pytest.raises(RuntimeError, match="SERAMBI_BASE_URL"):
        create_app(production(BASE_URL=base))


def test_production_cookies_are_secure_unless_told_otherwise():
    assert create_app(production(BASE_URL=BASE)).config["SESSION_COOKIE_SECURE"] is True
    assert create_app(production(BASE_URL=BASE)).config["REMEMBER_COOKIE_SECURE"] is True
    plain = create_app(production(BASE_URL="http://10.0.0.2", SESSION_COOKIE_SECURE=False))
    assert plain.config["SESSION_COOKIE_SECURE"] is False
    assert plain.config["REMEMBER_COOKIE_SECURE"] is False
    assert create_app(TestConfig).config["SESSION_COOKIE_SECURE"] is False


def test_production_session_cookie_is_sent_over_https_only(based_app, make_user):
    served = based_app(SERAMBI_ENV="production")
    member = make_user("mira")
    browser = served.test_client()
    login_as(browser, member)
    cookie = browser.get_cookie("session")
    assert cookie is not None and cookie.secure


# --- cache headers ----------------------------------------------------------------------

MEMBER_PRIVATE = [
    "/settings/profile",
    "/settings/notifications",
    "/settings/account/delete",
    "/notifications",
    "/drafts",
    "/bookmarks",
    "/auth/password",
]
FACILITATOR_PRIVATE = [
    "/mod/flags",
    "/mod/log",
    "/mod/search-log",
    "/mod/users/mira",
    "/dashboard",
    "/dashboard/report",
    "/dashboard/charts/weekly.svg",
    "/dashboard/export.csv?table=threads",
]


@pytest.mark.parametrize("path", MEMBER_PRIVATE)
def test_a_members_private_pages_are_never_stored(app, make_user, path):
    browser = client_for(app, make_user("mira"))
    response = browser.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", FACILITATOR_PRIVATE)
def test_facilitator_pages_are_never_stored(app, make_user, facilitator, path):
    make_user("mira")
    browser = client_for(app, facilitator)
    response = browser.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_private_pages_are_not_stored_even_when_refused(client):
    for path in ("/settings/profile", "/dashboard", "/mod/flags", "/auth/reset/not-a-token"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "no-store", path


def test_pages_shown_to_a_member_are_private_to_the_browser(app, make_user, make_thread):
    thread = make_thread()
    browser = client_for(app, make_user("mira"))
    for path in ("/", "/threads", f"/threads/{thread.id}", "/users/mira", "/meetings"):
        response = browser.get(path)
        assert response.status_code == 200
        assert "private" in response.headers["Cache-Control"] or (
            "no-store" in response.headers["Cache-Control"]
        ), path


# --- trusted proxies --------------------------------------------------------------------


def register_attempt(browser, address_header: str | None):
    headers = {"X-Forwarded-For": address_header} if address_header else {}
    token = csrf_token(browser, "/auth/register")
    return browser.post(
        "/auth/register",
        data={"csrf_token": token, "username": "x"},  # a form error still counts
        headers=headers,
        environ_base={"REMOTE_ADDR": "10.0.0.1"},  # the proxy
    )


def test_behind_one_proxy_each_visitor_has_their_own_limit(based_app):
    served = based_app(RATELIMIT_ENABLED=True, RATELIMIT_REGISTER="2 per hour", PROXY_FIX_X_FOR=1)
    browser = client_for(served)
    assert register_attempt(browser, "203.0.113.5").status_code == 400
    assert register_attempt(browser, "203.0.113.5").status_code == 400
    assert register_attempt(browser, "203.0.113.5").status_code == 429
    # Another visitor behind the same proxy (and a spoofed header in front of
    # the real one: only the address the proxy saw counts).
    assert register_attempt(browser, "198.51.100.9").status_code == 400
    assert register_attempt(browser, "198.51.100.77, 198.51.100.9").status_code == 400
    assert register_attempt(browser, "198.51.100.78, 198.51.100.9").status_code == 429


def test_without_a_trusted_proxy_the_header_is_ignored(based_app):
    served = based_app(RATELIMIT_ENABLED=True, RATELIMIT_REGISTER="2 per hour")
    browser = client_for(served)
    assert register_attempt(browser, "203.0.113.1").status_code == 400
    assert register_attempt(browser, "203.0.113.2").status_code == 400
    assert register_attempt(browser, "203.0.113.3").status_code == 429


def test_forwarded_https_is_believed_only_from_a_trusted_proxy(based_app):
    https = {"X-Forwarded-Proto": "https"}
    believed = based_app(PROXY_FIX_X_PROTO=1).test_client().get("/", headers=https)
    assert "Strict-Transport-Security" in believed.headers
    ignored = based_app().test_client().get("/", headers=https)
    assert "Strict-Transport-Security" not in ignored.headers


def test_development_links_default_to_the_local_address():
    settings = {"SERAMBI_ENV": "development", "BASE_URL": None, "EXTRA_TRUSTED_HOSTS": ""}
    config = type("D", (TestConfig,), settings)
    served = create_app(config).config
    assert served["BASE_URL"] == "http://127.0.0.1:5000"
    assert served["TRUSTED_HOSTS"] == ["127.0.0.1", "localhost"]
