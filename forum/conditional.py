"""Visitors' pages answer a repeat request with ``304 Not Modified``, without rendering.

A visitor's thread, list and home pages carry a weak ``ETag`` made from what the
page depends on: the forum's content version (bumped by database triggers on
every write to what these pages show, :mod:`forum.content_version`), the
address, language and time zone, the visitor's session-bound CSRF token (the
footer's language form), the templates, static files and catalogues, and the
current minute (relative times such as "2 menit yang lalu" move on). A
revalidation whose ``If-None-Match`` still matches gets an empty 304; anything
else renders as usual. Members' pages (their own buttons and bell) are never
answered this way, nor a page with a flashed message waiting.
``Cache-Control: private, no-cache`` lets only the browser keep the page and
makes it ask every time; ``Vary: Cookie, Accept-Language`` tells it the page
differs with either.
"""

from __future__ import annotations

import hashlib
import time
from functools import cache
from functools import wraps
from pathlib import Path

from flask import current_app
from flask import make_response
from flask import request
from flask import session
from flask_babel import get_locale
from flask_babel import get_timezone
from flask_login import current_user

from . import content_version

CACHE_CONTROL = "private, no-cache"
VARY = ("Cookie", "Accept-Language")
TIME_STEP = 60  # seconds: relative times on the page are rendered to the minute


@cache
def _code_digest(*folders: str) -> str:
    """A digest of the templates, static files and catalogues: a deploy changes every ETag."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _etag(version: int) -> str:
    parts = (
        str(version),
        str(int(time.time() // TIME_STEP)),
        request.full_path,
        str(get_locale()),
        str(get_timezone()),
        str(session.get("csrf_token", "")),
        _code_digest(
            str(Path(current_app.root_path) / current_app.template_folder),
            current_app.static_folder,
            str(Path(current_app.root_path) / "translations"),
        ),
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _for_visitor() -> bool:
    return (
        request.method == "GET"
        and not current_user.is_authenticated
        and not session.get("_flashes")
    )


def _mark(response, etag: str):
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.vary.update(VARY)
    return response


def visitor_etag(view):
    """Give a visitor's page an ETag, and a matching revalidation a 304 without rendering."""

    @wraps(view)
    def conditional(*args, **kwargs):
        if not _for_visitor():
            return view(*args, **kwargs)
        version = content_version.current()  # read before the page's own queries
        if version is None:
            return view(*args, **kwargs)
        if request.if_none_match and request.if_none_match.contains_weak(_etag(version)):
            return _mark(current_app.response_class(status=304), _etag(version))
        response = make_response(view(*args, **kwargs))
        if response.status_code != 200 or not _for_visitor():
            return response
        # After rendering: a first visit's page made the session's CSRF token just now.
        return _mark(response, _etag(version))

    return conditional
