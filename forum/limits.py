"""Request limits (Flask-Limiter), read from the config at request time.

Only POSTs count. Posting, flagging and the helpful/follow/bookmark buttons are
limited per member, registration
per address, logins per account and address (and, more loosely, per address).
The escalating slowdown after failed logins is kept in the database instead
(:mod:`forum.auth.service`), so it holds across workers whatever the storage.
"""

from __future__ import annotations

from flask import current_app
from flask import request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from .extensions import limiter


def _config(name: str):
    return lambda: current_app.config[name]


def member_key() -> str:
    if current_user.is_authenticated:
        return f"member:{current_user.id}"
    return f"address:{get_remote_address()}"


def login_key() -> str:
    username = (request.form.get("username") or "").strip().lower()[:30]
    return f"login:{username}|{get_remote_address()}"


posting_limit = limiter.shared_limit(
    _config("RATELIMIT_POSTING"), scope="posting", key_func=member_key, methods=["POST"]
)
flagging_limit = limiter.shared_limit(
    _config("RATELIMIT_FLAGGING"), scope="flagging", key_func=member_key, methods=["POST"]
)
engagement_limit = limiter.shared_limit(
    _config("RATELIMIT_ENGAGEMENT"),
    scope="engagement",
    key_func=member_key,
    methods=["POST"],
    error_message=lambda: _(
        "You pressed the helpful, follow and bookmark buttons very often. "
        "Wait a minute, then try again."
    ),
)
registration_limit = limiter.limit(_config("RATELIMIT_REGISTER"), methods=["POST"])
login_account_limit = limiter.limit(
    _config("RATELIMIT_LOGIN"), key_func=login_key, methods=["POST"]
)
forgot_limit = limiter.limit(_config("RATELIMIT_FORGOT"), methods=["POST"])
profile_limit = limiter.limit(_config("RATELIMIT_PROFILE"), key_func=member_key, methods=["POST"])
email_send_limit = limiter.limit(
    _config("RATELIMIT_EMAIL_SEND"), key_func=member_key, methods=["POST"]
)
login_address_limit = limiter.limit(_config("RATELIMIT_LOGIN_PER_ADDRESS"), methods=["POST"])
