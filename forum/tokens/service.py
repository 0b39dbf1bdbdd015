"""Creating, listing, revoking and checking personal access tokens (callers commit)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..models import User
from ..models import utcnow
from ..permissions import Refused
from ..permissions import why_not_use_token
from ..refusals import Refusal
from .models import TOKEN_SCOPES
from .models import ApiToken

PREFIX = "srb_"  # makes a leaked token easy to recognise (and to search for in a repository)
HINT_LENGTH = 10
MAX_ACTIVE_TOKENS = 20
LAST_USED_STEP = timedelta(minutes=10)  # "last used" is kept to ten minutes: few writes


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def active_tokens(user: User) -> list[ApiToken]:
    """The member's tokens that still work, the newest first."""
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def create_token(user: User, name: str, scope: str) -> tuple[ApiToken, str]:
    """A new token and its secret, which is shown once and never stored."""
    if scope not in TOKEN_SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    refusal = why_not_use_token(user)
    if refusal is not None:  # a token that would never work
        raise Refusal("name", refusal)
    if len(active_tokens(user)) >= MAX_ACTIVE_TOKENS:
        raise Refusal(
            "name",
            _l(
                "You have %(num)d tokens already; revoke one you no longer use.",
                num=MAX_ACTIVE_TOKENS,
            ),
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name.strip(),
        scope=scope,
        token_hash=token_hash(secret),
        hint=secret[:HINT_LENGTH],
    )
    db.session.add(token)
    db.session.flush()
    return token, secret


def own_token(user: User, token_id: int) -> ApiToken:
    """The member's own working token, or :class:`Refused` as 404."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise Refused("not found", status=404)
    return token


def revoke_token(token: ApiToken) -> None:
    token.revoked_at = utcnow()


def authenticate(secret: str) -> ApiToken | None:
    """The working token with this secret, its member loaded; ``None`` for anything else.

    A revoked token, or one whose account may no longer use tokens (deleted, see
    :func:`forum.permissions.why_not_use_token`), stops at once.
    """
    if not secret or len(secret) > 200:
        return None
    token = db.session.scalar(
        sa.select(ApiToken)
        .where(ApiToken.token_hash == token_hash(secret), ApiToken.revoked_at.is_(None))
        .options(so.joinedload(ApiToken.user).joinedload(User.library))
    )
    if token is None or why_not_use_token(token.user) is not None:
        return None
    return token


def note_use(token: ApiToken) -> bool:
    """Remember when the token was last used (to ten minutes); True when that changed."""
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_STEP:
        return False
    token.last_used_at = now
    return True
