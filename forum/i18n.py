"""Language and time zone: who sees Indonesian or English, and in which zone.

Indonesian is the default. An explicit choice (the member's profile, else the
footer switch's cookie) wins over the browser's Accept-Language.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask import request
from flask_babel import format_date
from flask_babel import format_datetime
from flask_babel import format_decimal
from flask_babel import format_time
from flask_babel import format_timedelta
from flask_babel import get_timezone
from flask_login import current_user
from markupsafe import Markup

from .models import utcnow

LOCALE_COOKIE = "lang"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in languages:
        return chosen
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def select_timezone() -> str:
    if current_user and current_user.is_authenticated:
        return current_user.timezone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def time_ago(value: datetime | None) -> Markup:
    """``<time>`` with a relative text ("2 jam yang lalu") and the exact local time."""
    if value is None:
        return Markup("")
    exact = local_datetime(value)
    relative = format_timedelta(value - utcnow(), add_direction=True, threshold=0.9)
    return Markup('<time datetime="{iso}" title="{exact}">{relative}</time>').format(
        iso=value.isoformat(), exact=exact, relative=relative
    )


def local_datetime(value: datetime | None, fmt: str = "medium") -> str:
    """The member's local date and time to the minute: seconds only clutter a page."""
    if value is None:
        return ""
    if fmt == "medium":
        return f"{format_date(value, 'medium')} {format_time(value, 'short')}"
    return format_datetime(value, fmt)


def local_today() -> date:
    """Today in the member's time zone (a meeting "upcoming" until its last day ends there)."""
    return datetime.now(ZoneInfo(str(get_timezone()))).date()


def local_date(value: datetime | None, fmt: str = "medium") -> str:
    return format_date(value, fmt) if value is not None else ""


def filesize(size: int) -> str:
    """1,2 MB / 340 KB, with the member's decimal separator."""
    if size >= 1024 * 1024:
        return f"{format_decimal(round(size / (1024 * 1024), 1))} MB"
    return f"{format_decimal(max(1, round(size / 1024)))} KB"
