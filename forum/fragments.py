"""Per-post fragments of the thread page, cached under a key that cannot go stale.

A post's author line, notices and body look the same for everyone who may see
them, so the thread page renders them once per process and keeps the HTML in a
bounded LRU cache keyed by

- the post's id and ``render_version``, which database triggers bump on every
  change of the post, its author's public profile, their library or partner
  organisation, its attachments or its thread's moderation state
  (:mod:`forum.render_versions`);
- the viewer's permission set (role and region scope, :func:`permissions.scope_of`),
  language and time zone.

Nothing about the viewer themselves is in a fragment: the relative time ("2 jam
yang lalu"), the "New" badge, the files (an author sees their own hidden ones),
the helpful, quote, edit, withdraw, flag and moderation buttons (with the
session's form token) are rendered around it on every view. Keys hold versions,
never "clear this when that changes", so each process (several workers, several
servers) keeps its own cache and none of them can serve a stale post. A request
that has written to the database renders without the cache: its rows may carry
versions that the triggers moved in a transaction not yet committed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask import g
from flask_babel import get_locale
from flask_babel import get_timezone
from flask_login import current_user
from markupsafe import Markup

from .extensions import db
from .permissions import scope_of

# The cached macro writes this between the part before the post's time and the part after.
TIME_SLOT = "\x00time\x00"
OVERHEAD = 300  # bytes a cached entry costs beyond its text (key, tuple, string headers)
WROTE = "fragments_wrote"  # Session.info flag: this transaction flushed changes


class FragmentCache:
    """A per-process LRU of ``key -> (before, after)``, bounded by the size of its text."""

    def __init__(self, max_bytes: int):
        self.max_bytes, self.size = max_bytes, 0
        self._lock = threading.Lock()
        self._entries: OrderedDict = OrderedDict()

    def get(self, key):
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        cost = len(value[0]) + len(value[1]) + OVERHEAD
        with self._lock:
            if cost > self.max_bytes or key in self._entries:
                return
            self._entries[key] = value
            self.size += cost
            while self.size > self.max_bytes:  # the least recently used go first
                _, old = self._entries.popitem(last=False)
                self.size -= len(old[0]) + len(old[1]) + OVERHEAD

    def __len__(self) -> int:
        return len(self._entries)


def cache() -> FragmentCache | None:
    """This app's cache in this process (``None`` when ``FRAGMENT_CACHE_BYTES`` is 0)."""
    if "fragments" not in current_app.extensions:
        size = current_app.config["FRAGMENT_CACHE_BYTES"]
        current_app.extensions["fragments"] = FragmentCache(size) if size > 0 else None
    return current_app.extensions["fragments"]


def viewer_key() -> tuple:
    """What a fragment may depend on about the viewer: role, region scope, language, zone."""
    if "fragment_viewer" not in g:
        g.fragment_viewer = (
            current_user.role if current_user.is_authenticated else None,
            tuple(sorted((r.kind or "", r.slug or "") for r in scope_of(current_user))),
            str(get_locale()),
            str(get_timezone()),
        )
    return g.fragment_viewer


def post_fragment(post, render: Callable) -> tuple[Markup, Markup]:
    """``render(post)``'s HTML split at :data:`TIME_SLOT`, from the cache when it holds it."""
    store = cache()
    usable = store is not None and not db.session.info.get(WROTE) and not _changed(post)
    key = (post.id, post.render_version, viewer_key()) if usable else None
    parts = store.get(key) if usable else None
    if parts is None:
        before, _, after = str(render(post)).partition(TIME_SLOT)
        parts = (Markup(before), Markup(after))  # noqa: S704 - rendered by an autoescaping macro
        if usable:
            store.put(key, parts)
    return parts


def _changed(post) -> bool:
    """Unsaved changes to the post or its author: their version does not cover them yet."""
    return so.attributes.instance_state(post).modified or (
        so.attributes.instance_state(post.author).modified
    )


@sa.event.listens_for(so.Session, "after_flush")
def _wrote(session, flush_context) -> None:
    session.info[WROTE] = True


@sa.event.listens_for(so.Session, "after_transaction_end")
def _ended(session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction: committed or rolled back
        session.info.pop(WROTE, None)
