"""Static files under content-hashed names, cached by browsers for a year.

``asset_url("serambi.css")`` gives ``/assets/serambi.1a2b3c4d5e.css``; a new
version of the file gets a new name, so phones never keep a stale stylesheet
and never re-download an unchanged one.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import send_from_directory
from flask import url_for

bp = Blueprint("assets", __name__)
HASHED = re.compile(r"^(?P<stem>[\w.-]+?)\.(?P<digest>[0-9a-f]{10})(?P<suffix>\.[a-z0-9]+)$")
ONE_YEAR = 365 * 24 * 3600


@lru_cache(maxsize=64)
def _digest(path: Path, mtime_ns: int) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=5).hexdigest()


def digest_of(filename: str) -> str:
    path = Path(current_app.static_folder) / filename
    return _digest(path, path.stat().st_mtime_ns)


def asset_url(filename: str) -> str:
    """The content-hashed URL of a file in forum/static/."""
    stem, dot, suffix = filename.rpartition(".")
    return url_for("assets.file", name=f"{stem}.{digest_of(filename)}{dot}{suffix}")


@bp.route("/assets/<name>")
def file(name: str):
    match = HASHED.match(name)
    if not match:
        abort(404)
    filename = match["stem"] + match["suffix"]
    if not (Path(current_app.static_folder) / filename).is_file():
        abort(404)
    current = digest_of(filename) == match["digest"]
    # An old name (a page cached before a deploy) still gets the file, briefly cached.
    return send_from_directory(
        current_app.static_folder, filename, max_age=ONE_YEAR if current else 60
    )


@bp.after_app_request
def _immutable(response):
    if response.cache_control.max_age == ONE_YEAR:
        response.cache_control.public = True
        response.cache_control.immutable = True
    return response
