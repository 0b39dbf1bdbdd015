"""Which feed a page offers in its ``<link rel="alternate" type="application/atom+xml">``."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from ..regions import regions
from ..tags import normalize_tag
from ..urls import external_url

KIND_FEEDS = {
    "practice": ("feeds.practices", lambda: _("Serambi: best practices")),
    "challenge": ("feeds.challenges", lambda: _("Serambi: challenges")),
}


def _list_feed(args) -> tuple[str, str]:
    tag = normalize_tag(args.get("tag", ""))
    if tag:
        return external_url("feeds.tag", tag=tag), _("Serambi: threads tagged #%(tag)s", tag=tag)
    region = args.get("region", "")
    if region in regions().regencies:
        name = regions().regency_name(region)
        title = _("Serambi: threads from %(region)s", region=name)
        return external_url("feeds.region", region=region), title
    if args.get("kind") in KIND_FEEDS:
        endpoint, title = KIND_FEEDS[args["kind"]]
        return external_url(endpoint), title()
    return external_url("feeds.latest"), _("Serambi: latest threads")


def page_feed() -> tuple[str, str] | None:
    """``(address, title)`` of the feed matching the page being shown, or ``None``.

    A thread page links its own feed in its template (only when it is public).
    """
    if request.endpoint == "threads.home":
        return external_url("feeds.latest"), _("Serambi: latest threads")
    if request.endpoint == "threads.index":
        return _list_feed(request.args)
    return None


def thread_feed(thread) -> str:
    return external_url("feeds.thread", thread_id=thread.id)
