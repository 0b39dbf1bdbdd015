"""One renderer for every error page (400, 403, 404, 405, 413, 429, 500), in both languages.

A refused rule shows its reason; a CSRF failure shows the text that was
submitted so nothing typed is lost; a 500 rolls back and gives an id to quote.
"""

from __future__ import annotations

import logging

from flask import g
from flask import jsonify
from flask import render_template
from flask import request
from flask_babel import lazy_gettext as _l
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import Forbidden
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import InternalServerError
from werkzeug.exceptions import NotFound
from werkzeug.exceptions import SecurityError

from .extensions import db
from .permissions import Refused

log = logging.getLogger(__name__)

TITLES = {
    400: _l("The request could not be processed"),
    401: _l("A valid API token is needed"),
    403: _l("Not allowed"),
    404: _l("Page not found"),
    405: _l("Not allowed"),
    409: _l("Already done"),
    413: _l("Too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong on our side"),
}
EXPLANATIONS = {
    400: _l("Something in the request was not right. Please go back and try again."),
    401: _l("Send a personal access token as “Authorization: Bearer <token>”."),
    403: _l("You do not have permission for this."),
    404: _l("The page does not exist, or you may not see it."),
    405: _l("This address does not accept that kind of request."),
    409: _l("This was done already and cannot be done twice."),
    413: _l("What you sent is larger than the limit. Please make it smaller."),
    429: _l("Please wait a moment before trying again."),
    500: _l("We have been told. Please try again in a moment."),
}

# Form fields worth giving back to the member after a refused POST: not secrets,
# and not the hidden fields a button sends (nobody typed them).
_SECRET_FIELDS = {"csrf_token", "password", "confirm", "current_password"}
_HIDDEN_FIELDS = {"next", "then"}


def submitted_text() -> list[tuple[str, str]]:
    """Non-secret text fields of the refused POST, so the member can copy them."""
    if request.method != "POST":
        return []
    try:
        form = request.form
    except Exception:  # noqa: BLE001 - an unreadable body has nothing to give back
        return []
    return [
        (name, value)
        for name, value in form.items(multi=True)
        if name not in _SECRET_FIELDS | _HIDDEN_FIELDS and value.strip() and len(value) <= 100_000
    ]


API_PREFIX = "/api/"  # the JSON API (forum/api): its errors are JSON, never a page


def wants_json() -> bool:
    return request.path.startswith(API_PREFIX)


def json_error(code: int, message=None, *, fields: dict | None = None, headers=None):
    """The API's error body: ``{"error": {"status", "title", "message", "fields"?}}``."""
    body = {"status": code, "title": str(TITLES.get(code, TITLES[400]))}
    body["message"] = str(message or EXPLANATIONS.get(code, EXPLANATIONS[400]))
    if fields:
        body["fields"] = {name: [str(text) for text in texts] for name, texts in fields.items()}
    response = jsonify(error=body)
    response.status_code = code
    response.headers.update(headers or {})
    return response


def render_error(error: Exception, reason=None):
    code = error.code if isinstance(error, HTTPException) and error.code else 500
    code = code if code in TITLES else 400 if 400 <= code < 500 else 500
    if reason is None and isinstance(error, RateLimitExceeded) and error.limit.error_message:
        reason = error.description  # the limit's own words (forum/limits.py)
    if wants_json():
        headers = error.get_headers() if isinstance(error, HTTPException) else []
        keep = {k: v for k, v in headers if k.lower() in ("www-authenticate", "allow")}
        return json_error(code, reason, headers=keep)
    context = dict(
        code=code,
        title=TITLES[code],
        explanation=reason or EXPLANATIONS[code],
        submitted=submitted_text() if code in (400, 403, 413, 429) else [],
        # Set by an area whose buttons are refused this way (engagement's before_request).
        back_url=g.get("back_url") if code in (403, 429) else None,
        request_id=g.get("request_id"),
    )
    return render_template("errors/error.html", **context), code


def _csrf_error(error: CSRFError):
    return render_error(
        error,
        reason=_l(
            "The form had expired or was sent from another page, so nothing was saved. "
            "Your text is below: copy it, reload the form and send it again."
        ),
    )


def _refused(error: Refused):
    if wants_json() and error.status != 404:
        return json_error(error.status if error.status in TITLES else 403, error.reason)
    if error.status == 404:
        return render_error(NotFound())
    return render_error(Forbidden(), reason=error.reason)


def _untrusted_host(_error: SecurityError):
    # A Host header naming a site we are not (TRUSTED_HOSTS): a page could not
    # even build its links, and nobody reaching the real forum sees this.
    if wants_json():
        return json_error(400, "Unknown host.")
    return "Unknown host.\n", 400, {"Content-Type": "text/plain; charset=utf-8"}


def _server_error(error: Exception):
    db.session.rollback()
    original = getattr(error, "original_exception", None) or error
    log.error("unhandled error, request id %s", g.get("request_id"), exc_info=original)
    return render_error(InternalServerError())


def init_app(app) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(Refused, _refused)
    app.register_error_handler(SecurityError, _untrusted_host)
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(InternalServerError, _server_error)
