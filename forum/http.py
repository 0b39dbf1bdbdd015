"""Small helpers every view uses: status codes for forms, safe redirects."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import render_template
from flask import request


def render_form(template: str, form, **context):
    """Render a form page: 400 when a submitted form has errors, 200 otherwise."""
    status = 400 if request.method == "POST" and form.errors else 200
    return render_template(template, form=form, **context), status


def safe_next(target: str | None, default: str) -> str:
    """A local path from ``?next=``, or ``default``.

    Only ``/path`` forms are accepted: no scheme, no host, no ``//`` or backslash
    (browsers treat ``/\\host`` as another site), no control characters.
    """
    if not target or len(target) > 2000:
        return default
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target) or "\\" in target:
        return default
    if not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def page_arg() -> int:
    """The ``page`` query parameter, clamped to a sane positive integer."""
    try:
        page = int(request.args.get("page", 1))
    except (TypeError, ValueError):
        return 1
    return min(max(page, 1), 100_000)
