"""What members search for, shown to facilitators.

The log never records who searched, and repeats and floods cannot fill it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_limiter.util import get_remote_address
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from ..database import writing
from ..extensions import db
from ..models import SearchLogEntry
from ..models import utcnow

log = logging.getLogger(__name__)
MAX_LOGGED_QUERY = 200


def normalize_logged_query(query: str) -> str:
    return re.sub(r"\s+", " ", query).strip().lower()[:MAX_LOGGED_QUERY]


# The log tells facilitators what people look for, not how often one person
# (or one script) presses Enter: the same words from the same searcher count
# once an hour, and visitors together add at most so many rows an hour.
LOG_SAME_SEARCH = "1 per hour"  # visitors' share: SEARCH_LOG_VISITORS in the config


def _log_limiter() -> FixedWindowRateLimiter:
    """Counters in the rate limits' storage (shared by workers when that is Redis)."""
    limiter = current_app.extensions.get("serambi.search_log_limiter")
    if limiter is None:
        uri = current_app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
        try:
            storage = storage_from_string(uri)
        except Exception:  # a storage this process cannot use: count here
            log.warning("search log: storage %s unusable, counting per process", uri)
            storage = storage_from_string("memory://")
        limiter = current_app.extensions.setdefault(
            "serambi.search_log_limiter", FixedWindowRateLimiter(storage)
        )
    return limiter


def _searcher_key(searcher) -> tuple[str, bool]:
    """An opaque key for who searched (never stored with the query), and whether a visitor."""
    if searcher is not None and getattr(searcher, "is_authenticated", False):
        return f"member:{searcher.id}", False
    return f"address:{get_remote_address()}", True


def should_log(text: str, searcher) -> bool:
    """True if this search adds a row: new for this searcher this hour, within visitors' share."""
    who, visitor = _searcher_key(searcher)
    digest = hashlib.sha256(f"{who}|{text}".encode()).hexdigest()[:32]
    try:
        limiter = _log_limiter()
        if not limiter.hit(parse(LOG_SAME_SEARCH), "search-log", digest):
            return False
        if visitor:
            share = parse(current_app.config["SEARCH_LOG_VISITORS"])
            return limiter.hit(share, "search-log", "visitors")
        return True
    except Exception:  # the counters are down: log nothing rather than everything
        log.warning("search log: counters unavailable, search not logged", exc_info=True)
        return False


def log_search(query: str, results: int, searcher=None) -> None:
    """Record a search (never who made it) in its own short write transaction.

    Search is a GET: the request's own session only reads, so this write takes
    a separate connection and, on SQLite, the write lock for a moment. Repeats
    and floods are not recorded (:func:`should_log`).
    """
    text = normalize_logged_query(query)
    if not text or not should_log(text, searcher):
        return
    try:
        with writing(), db.engine.begin() as connection:
            connection.execute(
                sa.insert(SearchLogEntry).values(query=text, results=results, created_at=utcnow())
            )
    except sa.exc.SQLAlchemyError:
        log.warning("search log: could not record a search", exc_info=True)


@dataclass(frozen=True)
class LoggedQuery:
    query: str
    searches: int
    last_results: int


def search_log_summary(
    days: int = 90, limit: int = 50
) -> tuple[list[LoggedQuery], list[LoggedQuery]]:
    """(most frequent searches, searches that found nothing) over the last ``days``."""
    since = utcnow() - timedelta(days=days)
    base = (
        sa.select(
            SearchLogEntry.query,
            sa.func.count(SearchLogEntry.id).label("searches"),
            sa.func.min(SearchLogEntry.results).label("fewest"),
        )
        .where(SearchLogEntry.created_at >= since)
        .group_by(SearchLogEntry.query)
    )
    frequent = db.session.execute(
        base.order_by(sa.desc("searches"), SearchLogEntry.query).limit(limit)
    ).all()
    empty = db.session.execute(
        base.having(sa.func.max(SearchLogEntry.results) == 0)
        .order_by(sa.desc("searches"), SearchLogEntry.query)
        .limit(limit)
    ).all()
    return (
        [LoggedQuery(q, n, fewest) for q, n, fewest in frequent],
        [LoggedQuery(q, n, fewest) for q, n, fewest in empty],
    )
