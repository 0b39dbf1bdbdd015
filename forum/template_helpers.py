"""Every template global, filter and context processor, registered in one place.

Templates see permissions (``can_edit(...)``), formatting filters (``|date``,
``|time_ago``, ``|filesize`` ...), labels and the empty forms the page chrome
needs. A template shows what its view gave it: nothing here runs a query
except :func:`page_chrome`, which runs before the template (the bell's count).
``tests/test_render_queries.py`` fails on any statement sent while a template renders.
"""

from __future__ import annotations

import os
from datetime import timedelta
from types import SimpleNamespace

from flask import Flask
from flask import g
from flask import has_request_context
from flask_babel import format_date
from flask_babel import format_timedelta
from flask_babel import get_locale
from flask_login import current_user
from jinja2 import FileSystemBytecodeCache
from markupsafe import escape

from . import i18n
from .adoptions.texts import STATUS_LABELS as ADOPTION_STATUS_LABELS
from .assets import asset_url
from .attachments import service as attachments
from .attachments.forms import ACCEPT
from .attachments.forms import files_description
from .engagement import service as engagement
from .feeds.links import page_feed
from .feeds.links import thread_feed
from .forms import EmptyForm
from .fragments import TIME_SLOT
from .fragments import post_fragment
from .insight.texts import MEETING_KIND_LABELS
from .insight.texts import RELATION_LABELS
from .markup import plain_text
from .moderation.forms import ACTION_LABELS
from .moderation.forms import FLAG_REASON_LABELS
from .moderation.forms import RESOLUTION_LABELS
from .moderation.forms import FlagForm
from .moderation.forms import HideForm
from .moderation.forms import MoveForm
from .partners.texts import NEED_LABELS
from .partners.texts import OFFER_STATUS_LABELS
from .partners.texts import PARTNER_KIND_LABELS
from .permissions import TEMPLATE_HELPERS
from .regions import regions
from .sections import filled_sections
from .sections import sections_for
from .urls import id_url
from .urls import profile_url
from .users.forms import LanguageForm


def attachment_limits() -> SimpleNamespace:
    limits = attachments.limits()
    return SimpleNamespace(
        max_files=limits["max_files"],
        max_file_size=i18n.filesize(limits["max_file_bytes"]),
        max_post_size=i18n.filesize(limits["max_post_bytes"]),
    )


def meeting_dates(meeting) -> str:
    """ "3 Mar 2026", or "3 Mar 2026 – 5 Mar 2026" for a meeting of several days."""
    first = format_date(meeting.starts_on, "medium")
    if meeting.ends_on == meeting.starts_on:
        return first
    return f"{first} – {format_date(meeting.ends_on, 'medium')}"


def duration(seconds: float | None) -> str:
    """A median delay as people say it: "45 minutes", "30 hours", "4 days"."""
    if seconds is None:
        return "–"
    return format_timedelta(timedelta(seconds=seconds), threshold=2)


def page_chrome() -> dict:
    """What every page's header shows, read before the template renders.

    The bell's count: one query per request for members (kept in ``g`` for the
    fragments and error pages of the same request), none for visitors.
    """
    if "unread_notifications" not in g:
        member = has_request_context() and current_user and current_user.is_authenticated
        g.unread_notifications = engagement.unread_count(current_user) if member else 0
    return {
        "unread_notifications": g.unread_notifications,
        # Forms the thread and post templates use for moderation and flags.
        "hide_form": lambda: HideForm(formdata=None),
        "move_form": lambda: MoveForm(formdata=None),
        "flag_form": lambda: FlagForm(formdata=None),
    }


# No "markdown" filter: pages show the HTML stored when posts are written (forum/stored_html.py).
FILTERS = {
    "plain_text": plain_text,
    "time_ago": i18n.time_ago,
    "datetime": i18n.local_datetime,
    "date": i18n.local_date,
    "filesize": i18n.filesize,
    "meeting_dates": meeting_dates,
    "duration": duration,
    "day": lambda value: format_date(value, "medium"),  # a date without a time (started_on)
}

GLOBALS = {
    **TEMPLATE_HELPERS,
    "get_locale": get_locale,
    "escape": escape,
    "asset_url": asset_url,
    "page_feed": page_feed,  # <link rel="alternate"> to the page's Atom feed
    "thread_feed": thread_feed,
    "id_url": id_url,
    "post_fragment": post_fragment,  # a post's cached author line and body (threads/_post.html)
    "time_slot": TIME_SLOT,
    "profile_url": profile_url,
    "regions": regions,
    "sections_for": sections_for,
    "filled_sections": filled_sections,
    "files_description": files_description,
    "attachment_accept": ACCEPT,
    "attachment_limits": attachment_limits,
    # Labels are globals, not a context processor: macros imported without context see them too.
    "meeting_kind_labels": MEETING_KIND_LABELS,
    "adoption_status_labels": ADOPTION_STATUS_LABELS,
    "relation_labels": RELATION_LABELS,
    "flag_reason_labels": FLAG_REASON_LABELS,
    "action_labels": ACTION_LABELS,
    "resolution_labels": RESOLUTION_LABELS,
    "need_labels": NEED_LABELS,
    "offer_status_labels": OFFER_STATUS_LABELS,
    "partner_kind_labels": PARTNER_KIND_LABELS,
    # Forms in the page chrome never bind the request: on a refused or too-large
    # POST they would read (and fail on) the body again.
    "button_form": lambda: EmptyForm(formdata=None),
    "language_form": lambda: LanguageForm(formdata=None),
}


def init_app(app: Flask) -> None:
    if cache_dir := app.config.get("TEMPLATE_CACHE_DIR"):
        os.makedirs(cache_dir, exist_ok=True)
        app.jinja_env.bytecode_cache = FileSystemBytecodeCache(cache_dir)
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals.update(GLOBALS)
    app.context_processor(page_chrome)
