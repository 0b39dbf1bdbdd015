"""What tests share besides fixtures: a browser's form posts, logging in, looking at rows.

Import from here (``from tests.helpers import login_as``), never from a conftest:
pytest loads conftest itself, and importing it again loads a second copy.
"""

from __future__ import annotations

import os
import re
import uuid
from contextlib import contextmanager
from datetime import UTC
from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from forum.extensions import db

PASSWORD = "kata-sandi-rahasia"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
# A Flask-WTF token is payload.timestamp.signature; the timestamp is in whole seconds.
CSRF_TIME_RE = re.compile(r'(name="csrf_token" type="hidden" value="[^".]+)\.[^".]+\.[^"]+"')
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# A registration form filled in as a new member would.
REGISTRATION = {
    "username": "siti_cibatu",
    "display_name": "Siti Aminah",
    "email": "siti@contoh.id",
    "password": "rahasia-sekali",
    "confirm": "rahasia-sekali",
    "library_name": "Perpustakaan Desa Cibatu",
    "village": "Cibatu",
    "district": "Cibatu",
    "region": "purwakarta",
    "province": "jawa-barat",
}


# The dashboard's reporting year in the insight tests.
PERIOD = {"from": "2025-07-01", "to": "2026-06-30"}


PG_SEARCH = "postgresql+search"  # the PostgreSQL database with SEARCH_BACKEND=postgresql
# For search tests: every database with the Whoosh index, and PostgreSQL's own search.
ON_EVERY_SEARCH_BACKEND = pytest.mark.parametrize(
    "backend", ["sqlite", "postgresql", PG_SEARCH], indirect=True
)


def _required(variable: str, what: str, example: str) -> str:
    """The URL in ``variable``; in CI its absence fails the test, elsewhere it skips."""
    url = os.environ.get(variable)
    if url:
        return url
    if IN_CI:
        pytest.fail(f"CI must run the {what} tests: {variable} is not set")
    pytest.skip(f"{what} not configured: set {variable}={example} to run")


def require_postgres() -> str:
    return _required("TEST_DATABASE_URL", "PostgreSQL", "postgresql://...")


def require_redis() -> str:
    return _required("TEST_REDIS_URL", "Redis", "redis://127.0.0.1:6379/0")


@contextmanager
def redis_prefix(url: str):
    """A rate-limit key prefix of the caller's own; its keys are removed afterwards."""
    import redis

    name = f"serambi-test-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(f"{name}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@contextmanager
def fresh_postgres_database(name: str):
    """Create an empty PostgreSQL database ``name`` and yield its URL; drop it afterwards."""
    base = require_postgres()
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def csrf_token(client, page: str = "/") -> str:
    """The real CSRF token, read from a page's form (every page has the language form)."""
    html = client.get(page).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {page}"
    return match.group(1)


def without_token_time(html: str) -> str:
    """``html`` with each CSRF token's time and signature blanked, its session part kept.

    One browser's pages rendered in different seconds differ only there; compare what
    must be equal with this, never by stripping the whole token.
    """
    return CSRF_TIME_RE.sub(r'\1.TIME.SIGNATURE"', html)


def post_form(client, url: str, data: dict | None = None, *, page: str = "/", **kwargs):
    """POST a form as a browser would: with the token from ``page``."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, page))
    return client.post(url, data=data, **kwargs)


def login_as(client, user, password: str = PASSWORD, remember: bool = False):
    response = post_form(
        client,
        "/auth/login",
        {"username": user.username, "password": password, "remember": "y" if remember else ""},
        page="/auth/login",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def client_for(app, user=None):
    """A browser for ``user`` (a visitor when ``None``), reading English pages."""
    client = app.test_client()
    client.set_cookie("lang", "en")
    if user is not None:
        login_as(client, user)
    return client


@contextmanager
def app_db(app):
    """An app context for looking at or arranging rows directly."""
    with app.app_context():
        yield db.session
        db.session.remove()


def run_jobs(app) -> int:
    """Run the background jobs that are due, here and now (tests keep JOBS_IN_PROCESS off)."""
    from forum.jobs.runner import Runner

    return Runner(app, "test-runner").run_until_idle()


def count_rows(app, model) -> int:
    """How many rows a table has now."""
    with app_db(app) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model))


def send_form(client, url: str, data: dict | None = None):
    """POST a form with the session's real CSRF token, read once per browser.

    Every page carries the footer's language form; a 404 page is the cheapest
    to render, and the token stays valid until the session changes.
    """
    if not hasattr(client, "csrf"):
        client.csrf = csrf_token(client, "/no-such-page")
    return client.post(url, data={**(data or {}), "csrf_token": client.csrf})


def main_text(response) -> str:
    """The page's main content, without the site chrome."""
    html = response.get_data(as_text=True)
    return html.split('<main id="main">', 1)[1].split("</main>", 1)[0]


def hit_titles(response) -> list[str]:
    import re

    html = response.get_data(as_text=True)
    return [
        re.sub(r"<[^>]+>", "", m) for m in re.findall(r'class="hit-title"><a [^>]+>(.*?)</a>', html)
    ]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def api_token(app, user, scope: str = "write", name: str = "Bot WhatsApp") -> str:
    """A personal access token's secret for ``user``, made as /settings/tokens makes it."""
    from forum.models import User
    from forum.tokens import service

    with app.app_context():
        _token, secret = service.create_token(db.session.get(User, user.id), name, scope)
        db.session.commit()
        return secret


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def api_client(app):
    """A program calling the API (no cookies of its own), asking for English messages."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client
