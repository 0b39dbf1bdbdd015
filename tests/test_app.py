"""The factory, configuration, headers and error pages."""

from __future__ import annotations

import gzip
import multiprocessing

import pytest

from forum import create_app
from forum.config import TestConfig
from forum.config import load_or_create_secret_key
from tests.helpers import post_form


def test_factory_without_test_config_is_not_testing(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "k"})
    assert not app.testing
    assert create_app(TestConfig).testing


def test_production_refuses_to_start_without_a_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(
            {
                "SERAMBI_ENV": "production",
                "SECRET_KEY": None,
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
            }
        )


def _read_key(path, queue):
    queue.put(load_or_create_secret_key(path))


def test_development_secret_key_is_created_once_even_by_racing_workers(tmp_path):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_read_key, args=(str(tmp_path), queue)) for _ in range(4)]
    for worker in workers:
        worker.start()
    keys = {queue.get(timeout=30) for _ in workers}
    for worker in workers:
        worker.join(timeout=30)
    assert len(keys) == 1
    assert load_or_create_secret_key(str(tmp_path)) in keys
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_only_over_https(client):
    response = client.get("/", base_url="https://localhost")
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_session_cookie_is_httponly_and_lax(client):
    response = post_form(client, "/settings/language", {"lang": "en"})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_pages_are_compressed_when_the_client_accepts_it(client, make_thread):
    make_thread()
    response = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"Serambi" in gzip.decompress(response.data)


@pytest.mark.parametrize(
    ("language", "text"), [("id", "Halaman tidak ditemukan"), ("en", "Page not found")]
)
def test_404_page_in_both_languages(client, language, text):
    response = client.get("/tidak/ada", headers={"Accept-Language": language})
    assert response.status_code == 404
    assert text in response.get_data(as_text=True)


def test_too_large_body_is_a_413_page(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/threads/new", data={"body": "x" * 5000})
    assert response.status_code == 413
    assert "<h1>" in response.get_data(as_text=True)


def test_unexpected_errors_are_a_500_page_with_an_id(app, client, monkeypatch):
    import forum.threads.views as views

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.service, "list_threads", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/threads")
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    assert request_id in response.get_data(as_text=True)
    assert "boom" not in response.get_data(as_text=True)


def test_static_files_have_content_hashed_names_and_long_caching(client):
    import re

    html = client.get("/").get_data(as_text=True)
    css = re.search(r'href="(/assets/serambi\.[0-9a-f]{10}\.css)"', html).group(1)
    with client.get(css) as response:
        assert response.status_code == 200
        assert "max-age=31536000" in response.headers["Cache-Control"]
        assert "immutable" in response.headers["Cache-Control"]
        assert b"--accent" in response.data
    with client.get("/assets/serambi.0000000000.css") as stale:
        assert stale.status_code == 200 and "max-age=60" in stale.headers["Cache-Control"]
    assert client.get("/assets/../config.py").status_code == 404
    assert client.get("/assets/nothing.0000000000.css").status_code == 404
