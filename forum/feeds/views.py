"""Atom feeds: /feeds/latest.atom, practices, challenges, a tag, a region, a thread's replies.

A feed shows what a visitor may read, whoever asks (a feed reader has no session
and a logged-in browser gets the same feed), with every link absolute under
``SERAMBI_BASE_URL`` (:func:`forum.urls.external_url`), never the Host header.
Written with a Jinja template (``templates/feeds/atom.xml``, escaped by autoescape)
instead of a feed library: Atom is a dozen elements, and the tests parse it.
"""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import render_template
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin

from ..conditional import visitor_etag
from ..models import Thread
from ..regions import Region
from ..tags import normalize_tag
from ..threads import service as threads
from . import entries

bp = Blueprint("feeds", __name__)
ATOM = "application/atom+xml; charset=utf-8"
FEED_SIZE = 30


def _visitor():
    return AnonymousUserMixin()


def _feed(title: str, self_endpoint: str, page_url: str, items: list, **values):
    body = render_template(
        "feeds/atom.xml", feed=entries.feed(title, self_endpoint, page_url, items, **values)
    )
    return current_app.response_class(body, mimetype="application/atom+xml")


def _threads_feed(title: str, endpoint: str, **filters):
    found = threads.newest_threads(_visitor(), limit=FEED_SIZE, **filters)
    return _feed(
        title,
        endpoint,
        entries.page("threads.index", **filters),
        [entries.thread_entry(thread) for thread in found],
    )


@bp.route("/feeds/latest.atom")
@visitor_etag
def latest():
    return _threads_feed(_("Serambi: latest threads"), "feeds.latest")


@bp.route("/feeds/practices.atom")
@visitor_etag
def practices():
    return _threads_feed(_("Serambi: best practices"), "feeds.practices", kind="practice")


@bp.route("/feeds/challenges.atom")
@visitor_etag
def challenges():
    return _threads_feed(_("Serambi: challenges"), "feeds.challenges", kind="challenge")


@bp.route("/feeds/tags/<tag>.atom")
@visitor_etag
def tag(tag: str):
    name = normalize_tag(tag)
    if not name or name != tag:
        abort(404)
    found = threads.newest_threads(_visitor(), limit=FEED_SIZE, tag=name)
    return _feed(
        _("Serambi: threads tagged #%(tag)s", tag=name),
        "feeds.tag",
        entries.page("threads.index", tag=name),
        [entries.thread_entry(thread) for thread in found],
        tag=name,
    )


@bp.route("/feeds/regions/<region>.atom")
@visitor_etag
def region(region: str):
    """A kabupaten/kota (``purwakarta``) or a whole province (``provinsi-jawa-barat``)."""
    place = Region.from_value(region)
    if place is None or place.kind is None:
        abort(404)
    where = place.clause(Thread.regency, Thread.province)
    found = threads.newest_threads(_visitor(), limit=FEED_SIZE, where=where)
    return _feed(
        _("Serambi: threads from %(region)s", region=place.name),
        "feeds.region",
        entries.region_page(place),
        [entries.thread_entry(thread) for thread in found],
        region=region,
    )


@bp.route("/threads/<id:thread_id>/feed.atom")
@visitor_etag
def thread(thread_id: int):
    found = threads.load_thread(thread_id, _visitor())
    replies = threads.newest_replies(found, _visitor(), limit=FEED_SIZE)
    return _feed(
        _("Replies to “%(title)s”", title=found.title),
        "feeds.thread",
        entries.page("threads.detail", thread_id=found.id),
        [entries.reply_entry(found, reply) for reply in replies],
        thread_id=found.id,
        updated=found.last_activity_at,
    )
