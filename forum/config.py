"""Configuration: defaults, environment variables, and the test configuration.

Everything a deployment changes comes from the environment (see the README's
"Configuration" table); nothing here reads files except the development secret key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Defaults for development and production, overridable from the environment."""

    SERAMBI_ENV = os.environ.get("SERAMBI_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # None: SQLite in instance/
    # A read replica of DATABASE_URL for the dashboard and its exports only (figures
    # may lag by what the replica lags); None: they read DATABASE_URL too.
    DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL") or None
    SQLITE_BUSY_TIMEOUT_MS = 15_000
    # "whoosh" (an index on this server's disk) or "postgresql" (the database's
    # full-text search: every web server sees a post when it is committed).
    SEARCH_BACKEND = os.environ.get("SEARCH_BACKEND", "whoosh")
    SEARCH_INDEX_DIR = os.environ.get("SEARCH_INDEX_DIR")  # None: instance/search_index
    SEARCH_BACKGROUND_DRAIN = True  # retry busy index writes in a per-process thread
    SEARCH_PER_PAGE = 20
    # Each process keeps rendered posts of the thread page up to this size (forum/fragments.py).
    FRAGMENT_CACHE_BYTES = int(os.environ.get("FRAGMENT_CACHE_BYTES", str(8 * 1024 * 1024)))

    # A long reply written on a slow phone must not be refused for an old token.
    WTF_CSRF_TIME_LIMIT = None

    # Background jobs (forum/jobs/): with JOBS_IN_PROCESS each web process runs them in a
    # thread (one machine, nothing else to start); false when `flask worker` runs them.
    JOBS_IN_PROCESS = _env_bool("JOBS_IN_PROCESS", True)
    # A running job's worker renews its claim every third of this; a job whose worker
    # died is claimed again once it runs out.
    JOBS_LEASE_SECONDS = float(os.environ.get("JOBS_LEASE_SECONDS", 60))
    JOBS_POLL_SECONDS = float(os.environ.get("JOBS_POLL_SECONDS", 2))
    JOBS_BACKOFF_SECONDS = float(os.environ.get("JOBS_BACKOFF_SECONDS", 10))  # doubles per try
    JOBS_BACKOFF_MAX = float(os.environ.get("JOBS_BACKOFF_MAX", 3600))
    JOBS_KEEP_DONE_DAYS = float(os.environ.get("JOBS_KEEP_DONE_DAYS", 7))

    # Attachments (forum/attachments/): checked in the form, so a too-large file is
    # a form error; MAX_CONTENT_LENGTH sits just above a full post (files + text).
    UPLOADS_DIR = os.environ.get("UPLOADS_DIR")  # None: instance/uploads
    # Compiled templates kept on disk for every process (a new worker skips compiling);
    # Jinja keys each by its source's checksum, so an edited template is never served stale.
    TEMPLATE_CACHE_DIR = os.environ.get("TEMPLATE_CACHE_DIR")  # None: each process compiles
    # Books of good practices made in the background (forum/practices/jobs.py).
    COMPILATIONS_DIR = os.environ.get("COMPILATIONS_DIR")  # None: instance/compilations
    ATTACHMENT_MAX_FILES = 6
    ATTACHMENT_MAX_FILE_BYTES = int(os.environ.get("ATTACHMENT_MAX_FILE_MB", 10)) * 1024 * 1024
    ATTACHMENT_MAX_POST_BYTES = int(os.environ.get("ATTACHMENT_MAX_POST_MB", 25)) * 1024 * 1024
    # A phone's default photo is 12 MP (4000x3000) or, on recent iPhones, 24 MP
    # (5712x4284); larger is a 48-200 MP "full resolution" mode (the browser's
    # attach.js shrinks those before upload) or a decompression bomb.
    ATTACHMENT_MAX_PIXELS = 32_000_000
    # What checking one file may cost, in a child process (forum/attachments/bounded.py):
    # CPU seconds, memory above the child's start, and wall-clock seconds.
    ATTACHMENT_CHECK_CPU_SECONDS = int(os.environ.get("ATTACHMENT_CHECK_CPU_SECONDS", 3))
    ATTACHMENT_CHECK_MEMORY_MB = int(os.environ.get("ATTACHMENT_CHECK_MEMORY_MB", 512))
    ATTACHMENT_CHECK_WALL_SECONDS = float(os.environ.get("ATTACHMENT_CHECK_WALL_SECONDS", 15))
    ATTACHMENT_IMAGE_MAX_SIDE = 1600
    ATTACHMENT_THUMB_SIDE = 400
    ATTACHMENTS_PURGE_HIDDEN_DAYS = int(os.environ.get("ATTACHMENTS_PURGE_HIDDEN_DAYS", 90))
    # nginx: an `internal` location aliased to the uploads folder, e.g. "/_uploads".
    ATTACHMENTS_ACCEL_REDIRECT = os.environ.get("ATTACHMENTS_ACCEL_REDIRECT")
    USE_X_SENDFILE = _env_bool("USE_X_SENDFILE", False)  # Apache mod_xsendfile, lighttpd
    MAX_CONTENT_LENGTH = int(
        os.environ.get("MAX_CONTENT_LENGTH", ATTACHMENT_MAX_POST_BYTES + 1024 * 1024)
    )

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # None: on in production, off elsewhere (decided in finish_config).
    SESSION_COOKIE_SECURE = (
        _env_bool("SESSION_COOKIE_SECURE", False) if "SESSION_COOKIE_SECURE" in os.environ else None
    )
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = None  # follows SESSION_COOKIE_SECURE

    # How many reverse proxies in front set X-Forwarded-For / X-Forwarded-Proto
    # (werkzeug's ProxyFix). 0 trusts none: behind nginx alone, both are 1.
    PROXY_FIX_X_FOR = int(os.environ.get("PROXY_FIX_X_FOR", 0))
    PROXY_FIX_X_PROTO = int(os.environ.get("PROXY_FIX_X_PROTO", 0))
    # Host names besides SERAMBI_BASE_URL's, 127.0.0.1 and localhost that the
    # forum answers to (e.g. a LAN address); any other Host header is a 400.
    EXTRA_TRUSTED_HOSTS = os.environ.get("EXTRA_TRUSTED_HOSTS", "")

    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Jakarta"
    LANGUAGES = ("id", "en")

    # Flask-Limiter warns about an implicit in-memory store: name it. With
    # redis://, every worker shares the counts; if Redis stops answering, each
    # worker counts on its own until it is back (see forum/extensions.py).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_STORAGE_PREFIX = os.environ.get("RATELIMIT_STORAGE_PREFIX", "serambi")
    # Seconds to wait for Redis before a request goes on without it.
    RATELIMIT_STORAGE_TIMEOUT = float(os.environ.get("RATELIMIT_STORAGE_TIMEOUT", 0.5))
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    # Limits in Flask-Limiter's notation; only POSTs count.
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "20 per minute")  # account + address
    RATELIMIT_LOGIN_PER_ADDRESS = os.environ.get("RATELIMIT_LOGIN_PER_ADDRESS", "300 per hour")
    RATELIMIT_REGISTER = os.environ.get("RATELIMIT_REGISTER", "60 per hour")  # per address
    # Per address: "forgot password" answers; per member: profile saves (an e-mail
    # change sends mail) and "send the link again". Neither is a free lookup or a mail cannon.
    RATELIMIT_FORGOT = os.environ.get("RATELIMIT_FORGOT", "30 per hour")
    RATELIMIT_PROFILE = os.environ.get("RATELIMIT_PROFILE", "30 per hour")
    RATELIMIT_EMAIL_SEND = os.environ.get("RATELIMIT_EMAIL_SEND", "6 per hour")
    # Reset links mailed to one account, whoever asks: the rest of the hour is quiet.
    FORGOT_MAILS_PER_ACCOUNT_PER_HOUR = int(os.environ.get("FORGOT_MAILS_PER_ACCOUNT_PER_HOUR", 3))
    RATELIMIT_POSTING = os.environ.get("RATELIMIT_POSTING", "30 per minute;500 per day")
    RATELIMIT_FLAGGING = os.environ.get("RATELIMIT_FLAGGING", "30 per minute;500 per day")
    # Helpful, follow and bookmark buttons, per member.
    RATELIMIT_ENGAGEMENT = os.environ.get("RATELIMIT_ENGAGEMENT", "60 per minute;1000 per day")
    # Search per member: a person reading results searches a few times a minute.
    RATELIMIT_SEARCH = os.environ.get("RATELIMIT_SEARCH", "20 per minute;300 per hour")
    # Suggestions and similar threads while typing (debounced in the page).
    RATELIMIT_SUGGEST = os.environ.get("RATELIMIT_SUGGEST", "60 per minute;1200 per hour")
    # Visitors share their address: a member's allowance times this (a meeting on one Wi-Fi).
    SEARCH_VISITORS_PER_ADDRESS = int(os.environ.get("SEARCH_VISITORS_PER_ADDRESS", "60"))
    # Rows visitors' searches may add to the search log, all visitors together.
    SEARCH_LOG_VISITORS = os.environ.get("SEARCH_LOG_VISITORS", "60 per hour")
    # After this many failed logins for one account from one address, one try
    # per LOGIN_SLOWDOWN_SECONDS from there (kept in the database: every worker
    # sees it). Other addresses are never slowed, so nobody can lock a member out.
    LOGIN_SLOWDOWN_AFTER = int(os.environ.get("LOGIN_SLOWDOWN_AFTER", 10))
    LOGIN_SLOWDOWN_SECONDS = int(os.environ.get("LOGIN_SLOWDOWN_SECONDS", 60))
    LOGIN_FAILURES_FORGOTTEN_AFTER = 24 * 3600  # seconds without a failure
    MODERATION_PER_PAGE = 30
    # New members' first threads and replies wait until a facilitator of their region
    # approves them at /mod/pending. Off by default: "register, then post" stays one step.
    REGISTRATION_APPROVAL = os.environ.get("REGISTRATION_APPROVAL", "").lower() in {
        "1",
        "true",
        "yes",
    }

    # werkzeug's current default (scrypt); tests choose a cheaper one.
    PASSWORD_HASH_METHOD = "scrypt"

    THREADS_PER_PAGE = 20
    REPLIES_PER_PAGE = 50
    PROFILE_ITEMS_PER_PAGE = 20

    NOTIFICATIONS_PER_PAGE = 30
    # The e-mail digest (`flask notifications send-digest`): without MAIL_SERVER
    # nothing is sent. MAIL_USE_TLS means STARTTLS on MAIL_PORT.
    # A member gets at most one digest per period (periods start at midnight in
    # BABEL_DEFAULT_TIMEZONE; 168 is weekly, from Monday), however many servers,
    # workers or cron lines run it: run it at least once a period.
    DIGEST_PERIOD_HOURS = int(os.environ.get("DIGEST_PERIOD_HOURS", 24))
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_PORT = int(os.environ.get("MAIL_PORT") or (587 if MAIL_USE_TLS else 25))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Serambi <serambi@localhost>")
    # Where members reach the forum: every link that leaves the page (e-mails,
    # reset links, exports) starts with it, never with the request's Host header.
    # Required in production.
    BASE_URL = os.environ.get("SERAMBI_BASE_URL") or None
    DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"

    # Flask names .js files text/javascript (RFC 9239); application/javascript stays for
    # anything older that still says it.
    COMPRESS_MIMETYPES = [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/manifest+json",
        "image/svg+xml",
    ]
    COMPRESS_ALGORITHM = ["br", "gzip"]


class TestConfig(Config):
    """Settings for the test suite: real database and index, fast hashes, CSRF on."""

    TESTING = True
    SERAMBI_ENV = "test"
    SECRET_KEY = "test-secret-key"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    SERVER_NAME = None
    BASE_URL = "http://localhost"  # the test client's host: links in tests can be followed
    # Tests call drain() themselves; no background threads.
    SEARCH_BACKGROUND_DRAIN = False
    JOBS_IN_PROCESS = False  # tests run jobs with forum.jobs.runner.Runner(app).run_until_idle()
    MAIL_SERVER = None  # a test that sends mail starts its own SMTP sink
    # tests/conftest.py gives each test process a private directory (each test makes a new
    # app; without the cache each one compiled every template it rendered again).
    TEMPLATE_CACHE_DIR = None


def finish_config(config) -> None:
    """Settings derived from others, checked once at start; a bad value stops the start.

    - ``BASE_URL`` (``SERAMBI_BASE_URL``): required in production, an http(s) address
      without query or fragment; stored without a trailing slash.
    - ``TRUSTED_HOSTS``: its host, 127.0.0.1, localhost and ``EXTRA_TRUSTED_HOSTS``.
    - ``SESSION_COOKIE_SECURE``: on in production unless set.
    - ``RATELIMIT_STORAGE_OPTIONS``: the key prefix and short timeouts for Redis.
    """
    production = config["SERAMBI_ENV"] == "production"
    base_url = config.get("BASE_URL")
    if not base_url:
        if production:
            raise RuntimeError(
                "SERAMBI_BASE_URL must be set in production, e.g. https://serambi.example.id"
            )
        base_url = config["DEVELOPMENT_BASE_URL"]
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise RuntimeError(
            f"SERAMBI_BASE_URL must look like https://serambi.example.id, not {base_url!r}"
        )
    config["BASE_URL"] = base_url.rstrip("/")

    if config.get("TRUSTED_HOSTS") is None:
        extra = config.get("EXTRA_TRUSTED_HOSTS") or ""
        if isinstance(extra, str):
            extra = extra.replace(",", " ").split()
        hosts = [parts.hostname, "127.0.0.1", "localhost", *extra]
        config["TRUSTED_HOSTS"] = list(dict.fromkeys(host.lower() for host in hosts))

    if config.get("SESSION_COOKIE_SECURE") is None:
        config["SESSION_COOKIE_SECURE"] = production
    if config.get("REMEMBER_COOKIE_SECURE") is None:
        config["REMEMBER_COOKIE_SECURE"] = config["SESSION_COOKIE_SECURE"]

    options = {"key_prefix": config["RATELIMIT_STORAGE_PREFIX"]}
    if config["RATELIMIT_STORAGE_URI"].startswith(("redis", "valkey")):
        # redis-py waits forever by default: a stalled Redis would stall every request.
        timeout = config["RATELIMIT_STORAGE_TIMEOUT"]
        options.update(socket_timeout=timeout, socket_connect_timeout=timeout)
    config["RATELIMIT_STORAGE_OPTIONS"] = options


def load_or_create_secret_key(instance_path: str) -> str:
    """Return the development secret key kept in ``instance/secret_key``.

    Created once, atomically: the key is written to a temporary file and hard-linked
    into place, which fails if another worker got there first — then we read theirs,
    so several workers never run with different keys.
    """
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"secret_key.{os.getpid()}.{secrets.token_hex(4)}")
    tmp.write_text(secrets.token_hex(32))
    tmp.chmod(0o600)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()
