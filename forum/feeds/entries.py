"""What a feed and its entries say, with absolute links under the public base URL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from ..models import utcnow
from ..urls import external_url


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    url: str
    author: str
    author_url: str | None
    published: datetime
    updated: datetime
    html: str
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class Feed:
    title: str
    url: str
    page: str
    base: str
    updated: datetime
    entries: list


def page(endpoint: str, **values) -> str:
    return external_url(endpoint, **values)


def region_page(place) -> str:
    if place.kind == "regency":
        return external_url("threads.index", region=place.slug)
    return external_url("threads.index")


def _author(user) -> tuple[str, str | None]:
    if user.is_deleted:
        return str(user.display_name), None
    return user.display_name, external_url("users.profile", username=user.username)


def thread_entry(thread) -> Entry:
    opening = thread.opening_post
    name, url = _author(thread.author)
    kind = _("Best practice") if thread.kind == "practice" else _("Challenge")
    return Entry(
        id=external_url("threads.detail", thread_id=thread.id),
        title=f"{kind}: {thread.title}",
        url=external_url("threads.detail", thread_id=thread.id),
        author=name,
        author_url=url,
        published=thread.created_at,
        updated=opening.edited_at or thread.created_at,
        html=str(opening.html),
        categories=tuple(tag.name for tag in thread.tags),
    )


def reply_entry(thread, reply) -> Entry:
    name, url = _author(reply.author)
    link = external_url("threads.detail", thread_id=thread.id, _anchor=f"post-{reply.id}")
    return Entry(
        id=link,
        title=_("%(name)s replied to “%(title)s”", name=name, title=thread.title),
        url=link,
        author=name,
        author_url=url,
        published=reply.created_at,
        updated=reply.edited_at or reply.created_at,
        html=str(reply.html),
    )


def feed(title: str, endpoint: str, page_url: str, items: list, updated=None, **values) -> Feed:
    """The feed's own data: its address, the page it mirrors and when it last changed."""
    newest = max((item.updated for item in items), default=None)
    return Feed(
        title=title,
        url=external_url(endpoint, **values),
        page=page_url,
        base=external_url("threads.home"),
        updated=max(filter(None, (newest, updated)), default=None) or utcnow(),
        entries=items,
    )
