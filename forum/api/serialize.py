"""What the API says about threads, posts, members, tags, regions and meetings.

Only what a page shows the same viewer: never an e-mail address, and a hidden or
withdrawn row only reaches whoever the services already let see it.
"""

from __future__ import annotations

from ..regions import PROVINCE_PREFIX
from ..regions import regions
from ..sections import filled_sections
from ..urls import external_url


def _time(value):
    return value.isoformat() if value is not None else None


def member(user) -> dict:
    """An author as lists show them; a deleted member has no username any more."""
    if user.is_deleted:
        return {"username": None, "display_name": str(user.display_name), "url": None}
    return {
        "username": user.username,
        "display_name": user.display_name,
        "url": external_url("users.profile", username=user.username),
    }


def library(row) -> dict | None:
    if row is None:
        return None
    return {
        "name": row.name,
        "village": row.village,
        "district": row.district,
        "region": row.regency,
        "region_name": regions().regency_name(row.regency),
        "province": row.province,
        "province_name": regions().province_name(row.province),
    }


def thread_summary(thread) -> dict:
    return {
        "id": thread.id,
        "kind": thread.kind,
        "title": thread.title,
        "url": external_url("threads.detail", thread_id=thread.id),
        "author": member(thread.author),
        "library": library(thread.library),
        "region": thread.regency,
        "province": thread.province,
        "tags": [tag.name for tag in thread.tags],
        "created_at": _time(thread.created_at),
        "last_activity_at": _time(thread.last_activity_at),
        "pinned": thread.pinned,
        "locked": thread.locked,
        "hidden": not thread.is_public,
        "solved": thread.is_solved,
        "accepted_post_id": thread.accepted_post_id,
        "helpful_count": thread.helpful_count,
        "reply_count": thread.reply_count,
    }


def sections(thread) -> dict:
    """The report sections the thread fills in, by their names."""
    return {section.name: value for section, value in filled_sections(thread)}


def post(row) -> dict:
    return {
        "id": row.id,
        "thread_id": row.thread_id,
        "is_opening": row.is_opening,
        "url": external_url("threads.detail", thread_id=row.thread_id, _anchor=f"post-{row.id}"),
        "author": member(row.author),
        "body": row.body,
        "body_html": str(row.html),
        "created_at": _time(row.created_at),
        "edited_at": _time(row.edited_at),
        "hidden": not row.is_public,
        "helpful_count": row.helpful_count,
    }


def thread_detail(thread, replies, next_cursor, state=None) -> dict:
    opening = thread.opening_post
    return {
        **thread_summary(thread),
        "opening_post": post(opening),
        "sections": sections(thread),
        "replies": [post(reply) for reply in replies],
        "next_cursor": next_cursor,
        "feed": external_url("feeds.thread", thread_id=thread.id),
        "you": state,
    }


def profile(user, threads: int, replies: int, helpful: int) -> dict:
    return {
        **member(user),
        "library": library(user.library),
        "role": user.role,
        "joined_at": _time(user.created_at),
        "threads": threads,
        "replies": replies,
        "helpful_received": helpful,
    }


def meeting(row) -> dict:
    return {
        "id": row.id,
        "title": row.title,
        "kind": row.kind,
        "starts_on": row.starts_on.isoformat(),
        "ends_on": row.ends_on.isoformat(),
        "place": row.place,
        "region": row.regency,
        "region_name": regions().regency_name(row.regency),
        "province": row.province,
        "participants": row.participants,
        "speakers": row.speakers,
        "summary": row.summary,
        "url": external_url("meetings.detail", meeting_id=row.id),
    }


def search_hit(hit) -> dict:
    """A hit, grouped by thread, with its title and snippet as plain text."""
    return {
        "thread": thread_summary(hit.thread),
        "post_id": hit.post_id,
        "post_url": external_url(
            "threads.detail",
            thread_id=hit.thread.id,
            _anchor=f"post-{hit.post_id}",
            **({"page": hit.page} if hit.page > 1 else {}),
        ),
        "title": hit.title_html.striptags(),
        "snippet": hit.snippet_html.striptags(),
        "matching_posts": hit.matching_posts,
    }


def _region(value: str, kind: str, name: str, province: str) -> dict:
    return {
        "value": value,
        "kind": kind,
        "name": name,
        "province": province,
        "feed": external_url("feeds.region", region=value),
    }


def region_list() -> list[dict]:
    """Every province, then its kabupaten/kota: the values the dashboard's filter takes."""
    found = []
    for province in sorted(regions().provinces.values(), key=lambda p: p.name):
        found.append(
            _region(PROVINCE_PREFIX + province.slug, "province", province.name, province.slug)
        )
        found += [
            _region(regency.slug, "regency", regency.short_name, province.slug)
            for regency in sorted(regions().regencies_of(province.slug), key=lambda r: r.short_name)
        ]
    return found
