"""Request limits (Flask-Limiter), read from the config at request time.

Only POSTs count. Posting, flagging and the helpful/follow/bookmark buttons are
limited per member, registration
per address, logins per account and address (and, more loosely, per address).
The escalating slowdown after failed logins is kept in the database instead
(:mod:`forum.auth.service`), so it holds across workers whatever the storage.

Reads that cost the index (search, suggestions, similar threads): every request
counts, per member when logged in (wherever they are), and per address for
visitors. One address is often a whole meeting on one Wi-Fi, or a village office
behind one modem: visitors get a member's allowance times
``SEARCH_VISITORS_PER_ADDRESS`` (60, a large peer-learning meeting), so such a
room is never refused while one script behind one address still is.
"""

from __future__ import annotations

from flask import current_app
from flask import request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse_many

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


# -- reads that cost the index ---------------------------------------------------------


def _member() -> bool:
    return bool(current_user and current_user.is_authenticated)


def _member_only_key() -> str:
    return f"member:{current_user.id}"


def _address_key() -> str:
    return f"address:{get_remote_address()}"


def _scaled(value: str, times: int) -> str:
    """``"20 per minute;300 per hour"`` times 60: ``"1200 per 1 minute;18000 per 1 hour"``."""
    return ";".join(
        f"{item.amount * times} per {item.multiples} {item.GRANULARITY.name}"
        for item in parse_many(value)
    )


def _reading_limit(scope: str, name: str):
    """Two limits in one decorator: per member when logged in, per address for visitors
    (a member's allowance times ``SEARCH_VISITORS_PER_ADDRESS``)."""

    def member_value() -> str:
        return current_app.config[name]

    def visitor_value() -> str:
        return _scaled(member_value(), int(current_app.config["SEARCH_VISITORS_PER_ADDRESS"]))

    per_member = limiter.shared_limit(
        member_value,
        scope=f"{scope}-member",
        key_func=_member_only_key,
        exempt_when=lambda: not _member(),
    )
    per_address = limiter.shared_limit(
        visitor_value,
        scope=f"{scope}-visitor",
        key_func=_address_key,
        exempt_when=_member,
    )

    def decorate(view):
        return per_member(per_address(view))

    return decorate


search_limit = _reading_limit("search", "RATELIMIT_SEARCH")
suggest_limit = _reading_limit("suggest", "RATELIMIT_SUGGEST")
# Similar threads while a title is typed: the same allowance as suggestions.
similar_limit = _reading_limit("similar", "RATELIMIT_SUGGEST")
# Names offered while a member types "@": members only, every request counts.
mention_limit = limiter.shared_limit(
    _config("RATELIMIT_SUGGEST"), scope="mentions", key_func=member_key
)


# -- the JSON API (forum/api): the same allowances, counted together with the pages' ----
# (same scopes and keys: a member posting from a bot and from the page share one limit)

api_posting_limit = limiter.shared_limit(
    _config("RATELIMIT_POSTING"), scope="posting", key_func=member_key, methods=["POST", "PATCH"]
)
api_flagging_limit = limiter.shared_limit(
    _config("RATELIMIT_FLAGGING"), scope="flagging", key_func=member_key, methods=["POST"]
)
api_engagement_limit = limiter.shared_limit(
    _config("RATELIMIT_ENGAGEMENT"),
    scope="engagement",
    key_func=member_key,
    methods=["PUT", "DELETE"],
)
