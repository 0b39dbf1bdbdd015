"""What every response says about itself: security and cache headers, a request id;
and which proxies' forwarded headers are believed.
"""

from __future__ import annotations

import re
import secrets

from flask import g
from flask import request
from flask import session
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")

# Pages about one member or for facilitators only: no cache may keep them, not
# even the browser's (a shared library computer's back button). A path is
# private when it is one of these or below one.
PRIVATE_PATHS = (
    "/settings",
    "/notifications",
    "/drafts",
    "/bookmarks",
    "/mod",
    "/admin",
    "/dashboard",
    "/auth/password",
    "/auth/reset",
)


def is_private_path(path: str) -> bool:
    """Whether ``path`` is one of :data:`PRIVATE_PATHS` or below one."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in PRIVATE_PATHS)


def _shown_to_a_member() -> bool:
    # Never loads the user here: on a 500 the database may be what failed.
    user = g.get("_login_user")
    if user is not None:
        return user.is_authenticated
    return "_user_id" in session


def _assign_request_id() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _REQUEST_ID.match(incoming) else secrets.token_hex(6)


def _cache_policy(response) -> None:
    """``no-store`` on private pages; ``private`` on anything else shown to a member.

    A response that already says how to cache (assets, attachments) keeps its own
    header, except on private paths.
    """
    if is_private_path(request.path):
        response.headers["Cache-Control"] = "no-store"
    elif "Cache-Control" not in response.headers and _shown_to_a_member():
        response.headers["Cache-Control"] = "private"


def _security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Request-ID", g.get("request_id", ""))
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    _cache_policy(response)
    return response


def trust_proxies(app) -> None:
    """Believe X-Forwarded-For / -Proto from ``PROXY_FIX_X_FOR`` / ``_X_PROTO`` proxies.

    Without it, behind nginx every visitor has nginx's address, so per-address
    limits would count the whole town as one visitor. With more than are really
    there, a visitor could choose their own address by sending the header.
    """
    x_for = app.config["PROXY_FIX_X_FOR"]
    x_proto = app.config["PROXY_FIX_X_PROTO"]
    if x_for or x_proto:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=x_for, x_proto=x_proto)


def init_app(app) -> None:
    trust_proxies(app)
    app.before_request(_assign_request_id)
    app.after_request(_security_headers)
