"""Who is calling the API: the member of a Bearer token, or a visitor. Never the session.

The API blueprint is exempt from CSRF because no cookie ever authorizes it:
``current_user`` is set here for every API request, from the token alone, so a
page's session cookie sent along (a browser does) changes nothing.
"""

from __future__ import annotations

from functools import wraps

from flask import current_app
from flask import g
from flask import request
from flask_login import current_user
from werkzeug.exceptions import Unauthorized

from ..extensions import db
from ..permissions import check
from ..permissions import why_not_write_with_token
from ..tokens import service as tokens

CHALLENGE = 'Bearer realm="serambi"'
PAGES = {"api.docs"}  # read-only HTML: the session only decides the page's header


class InvalidToken(Unauthorized):
    def get_headers(self, environ=None, scope=None):
        return [*super().get_headers(environ, scope), ("WWW-Authenticate", self.challenge)]

    def __init__(self, challenge: str = CHALLENGE):
        super().__init__()
        self.challenge = challenge


def _bearer_secret() -> str | None:
    """The token sent as ``Authorization: Bearer <secret>``; ``None`` when none was sent."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise InvalidToken(CHALLENGE + ', error="invalid_request"')
    return secret.strip()


def authenticate() -> None:
    """Before every API request: the token's member, or a visitor (no token)."""
    g.api_token = None
    if request.endpoint in PAGES:
        return  # a page for people, read in the browser: its header shows who is logged in
    secret = _bearer_secret()
    if secret is None:
        g._login_user = current_app.login_manager.anonymous_user()
        return
    token = tokens.authenticate(secret)
    if token is None:  # unknown, revoked, or its account deleted
        raise InvalidToken(CHALLENGE + ', error="invalid_token"')
    g.api_token = token
    g._login_user = token.user  # what flask_login's current_user returns
    if tokens.note_use(token):
        db.session.commit()


def writes(view):
    """A write needs a ``write`` token of a member who may post (a suspended one may not)."""

    @wraps(view)
    def checked(*args, **kwargs):
        token = g.get("api_token")
        if token is None:
            raise InvalidToken()
        check(why_not_write_with_token(current_user, token.scope))
        return view(*args, **kwargs)

    return checked
