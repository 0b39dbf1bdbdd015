"""Small helpers every view uses: status codes for forms, safe redirects."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import after_this_request
from flask import current_app
from flask import render_template
from flask import request
from flask_babel import gettext as _

from .extensions import db


def render_form(template: str, form, **context):
    """Render a form page: 400 when a submitted form has errors, 200 otherwise."""
    status = 400 if request.method == "POST" and form.errors else 200
    return render_template(template, form=form, **context), status


def show_refusal(form, refusal) -> None:
    """Put a service's :class:`~forum.refusals.Refusal` under the form field it is about."""
    field = getattr(form, refusal.field, None)
    if field is None:
        form.form_errors.append(refusal.reason)
    else:
        field.errors = [*field.errors, refusal.reason]


def client_address() -> str:
    """Who is asking, for the failed-password slowdown (the limiter's notion of an address)."""
    from flask_limiter.util import get_remote_address

    return get_remote_address() or ""


def render_slowed(template: str, form, field, seconds: int, **context):
    """A form page refused with 429 after too many wrong passwords: wait ``seconds``."""
    field.errors = [
        *field.errors,
        _(
            "Too many failed attempts for this account. "
            "Please wait %(seconds)d seconds and try again.",
            seconds=seconds,
        ),
    ]
    body = render_template(template, form=form, **context)
    return body, 429, {"Retry-After": str(seconds)}


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


def refuse_nul_characters():
    """A form value with a NUL character gets a 400 page that gives the text back.

    PostgreSQL cannot store NUL in text (it would be a 500), and no member types
    one: it comes from fuzzers and broken clients. Checked once here, for every
    form, instead of in each field.
    """
    if request.method != "POST" or not request.mimetype.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        return None
    if not any("\x00" in value for _name, value in request.form.items(multi=True)):
        return None
    from flask_babel import lazy_gettext as _l
    from werkzeug.exceptions import BadRequest

    from .errors import render_error

    return render_error(
        BadRequest(),
        reason=_l(
            "Your text contains a NUL character (\\0), which cannot be saved, so nothing was "
            "saved. Your text is below: remove that character and send it again."
        ),
    )


def after_response(func, /, *args) -> None:
    """Run ``func(*args)`` once this request's response has been sent, in a fresh app context.

    ``response.call_on_close`` runs when the WSGI server closes the response,
    which gunicorn and werkzeug do after writing its body to the client: the
    member never waits for it. ``after_this_request`` and teardown functions
    both run *before* the body is sent (the former is used here only to reach
    the response object). Only a 2xx response schedules it. A failure is
    logged and undone, never shown: the page has already gone.
    """
    app = current_app._get_current_object()

    def run() -> None:
        with app.app_context():
            try:
                func(*args)
            except Exception:
                db.session.rollback()
                app.logger.exception("after the response: %s failed", func.__name__)

    @after_this_request
    def schedule(response):
        if 200 <= response.status_code < 300:
            response.call_on_close(run)
        return response
