"""How often one searcher may ask the index: search, suggest-as-you-type, similar threads.

Each search reads the index and costs the server tens of milliseconds; a script
could ask thousands of times a minute and slow every page. Members are counted
per account wherever they are. Visitors are counted per address, and one
address is often a whole meeting on one Wi-Fi (or one village office behind one
modem): their allowance is a member's times ``SEARCH_VISITORS_PER_ADDRESS``
(60, the size of a large peer-learning meeting), so such a room is never
refused, while one script behind one address still is.

Settings (``RATELIMIT_SEARCH``, ``RATELIMIT_SUGGEST``, ``SEARCH_VISITORS_PER_ADDRESS``)
can be changed in the config; the defaults are here so the search area keeps
its own rules in one place.
"""

from __future__ import annotations

from flask import current_app
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse_many

from ..extensions import limiter

# Per member. A person reading results searches a few times a minute; 20 leaves
# room for paging back and forth, 300 an hour for a long afternoon of it.
DEFAULT_SEARCH = "20 per minute;300 per hour"
# Suggestions and similar threads are asked while typing (debounced in the page).
DEFAULT_SUGGEST = "60 per minute;1200 per hour"
DEFAULT_VISITORS_PER_ADDRESS = 60


def _member() -> bool:
    return bool(current_user and current_user.is_authenticated)


def member_key() -> str:
    return f"member:{current_user.id}"


def address_key() -> str:
    return f"address:{get_remote_address()}"


def _scaled(value: str, times: int) -> str:
    """``"20 per minute;300 per hour"`` times 60: ``"1200 per 1 minute;18000 per 1 hour"``."""
    return ";".join(
        f"{item.amount * times} per {item.multiples} {item.GRANULARITY.name}"
        for item in parse_many(value)
    )


def _setting(name: str, default: str):
    def member_value() -> str:
        return current_app.config.get(name, default)

    def visitor_value() -> str:
        times = int(
            current_app.config.get("SEARCH_VISITORS_PER_ADDRESS", DEFAULT_VISITORS_PER_ADDRESS)
        )
        return _scaled(member_value(), times)

    return member_value, visitor_value


def _limits(scope: str, name: str, default: str):
    """Two decorators in one: per member when logged in, per address for visitors."""
    member_value, visitor_value = _setting(name, default)
    per_member = limiter.shared_limit(
        member_value,
        scope=f"{scope}-member",
        key_func=member_key,
        exempt_when=lambda: not _member(),
    )
    per_address = limiter.shared_limit(
        visitor_value,
        scope=f"{scope}-visitor",
        key_func=address_key,
        exempt_when=_member,
    )

    def decorate(view):
        return per_member(per_address(view))

    return decorate


search_limit = _limits("search", "RATELIMIT_SEARCH", DEFAULT_SEARCH)
suggest_limit = _limits("suggest", "RATELIMIT_SUGGEST", DEFAULT_SUGGEST)
# Similar threads while a title is typed: the same allowance as suggestions.
similar_limit = _limits("similar", "RATELIMIT_SUGGEST", DEFAULT_SUGGEST)
