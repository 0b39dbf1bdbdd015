"""Language and time zone: who sees Indonesian or English, and in which zone.

Indonesian is the default. An explicit choice (the member's profile, else the
footer switch's cookie) wins over the browser's Accept-Language.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

from babel.dates import TIMEDELTA_UNITS
from flask import current_app
from flask import g
from flask import request
from flask_babel import format_date
from flask_babel import format_datetime
from flask_babel import format_decimal
from flask_babel import format_time
from flask_babel import format_timedelta
from flask_babel import get_locale
from flask_babel import get_timezone
from flask_babel import get_translations
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


def install_template_gettext(app) -> None:
    """Templates' ``_()`` and ``ngettext()`` with the request's catalogue looked up once.

    Flask-Babel's own callables find the request's context, locale and catalogue
    again for every string (a thread page has about 90): here the catalogue is kept
    in Flask-Babel's request context beside the locale it is for, so a changed
    locale (``force_locale``, ``refresh``) finds its own catalogue.
    """
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


def _translations():
    try:
        context = g._flask_babel
    except (AttributeError, RuntimeError):  # no locale chosen yet, or no app context
        return get_translations()
    locale = getattr(context, "babel_locale", None)
    kept = getattr(context, "serambi_translations", None)
    if locale is None or kept is None or kept[0] is not locale:
        translations = get_translations()
        context.serambi_translations = (get_locale(), translations)
        return translations
    return kept[1]


def select_timezone() -> str:
    if current_user and current_user.is_authenticated:
        return current_user.timezone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def time_ago(value: datetime | None) -> Markup:
    """``<time>`` with a relative text ("2 jam yang lalu") and the exact local time.

    A thread page shows one per post: both texts come from small per-process
    memos keyed by everything Babel's output depends on, not from Babel each time.
    """
    if value is None:
        return Markup("")
    locale, zone = str(get_locale()), str(get_timezone())
    exact = _exact_times.get((value, locale, zone))
    if exact is None:
        if len(_exact_times) >= EXACT_TIMES_KEPT:
            _exact_times.clear()
        exact = _exact_times[(value, locale, zone)] = Markup(
            '<time datetime="{iso}" title="{exact}">'
        ).format(iso=value.isoformat(), exact=local_datetime(value))
    return exact + _relative(value - utcnow(), locale) + Markup("</time>")


EXACT_TIMES_KEPT = 10_000  # a few MB at most; emptied when full
_exact_times: dict[tuple, Markup] = {}
_relatives: dict[tuple, str] = {}


def _relative(delta: timedelta, locale: str) -> str:
    """``format_timedelta(delta, add_direction=True, threshold=0.9)``, memoised.

    Babel's text depends only on the unit and rounded count it picks (the same
    loop as ``babel.dates.format_timedelta``), the direction and the language,
    so those are the key: at most a few hundred texts per language.
    """
    seconds = delta.total_seconds()
    for unit, per_unit in TIMEDELTA_UNITS:
        count = abs(seconds) / per_unit
        if count >= RELATIVE_THRESHOLD or unit == "second":
            if unit == "second" and count > 0:
                count = max(1, count)
            key = (unit, int(round(count)), seconds >= 0, locale)
            break
    text = _relatives.get(key)
    if text is None:
        text = _relatives[key] = format_timedelta(
            delta, add_direction=True, threshold=RELATIVE_THRESHOLD
        )
    return text


RELATIVE_THRESHOLD = 0.9


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
