"""Limits on what one member can create or repeat: tags made by following them,
and the helpful/follow/bookmark buttons.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum import create_app
from forum.config import TestConfig
from forum.engagement.models import TagFollow
from forum.engagement.service import MAX_UNUSED_TAG_FOLLOWS
from forum.extensions import db
from forum.models import Tag
from tests.helpers import client_for
from tests.helpers import count_rows
from tests.helpers import main_text as text
from tests.helpers import send_form as send


def follow(browser, tag: str):
    return send(browser, f"/tags/{tag}/follow")


def test_following_unused_tags_stops_at_the_cap(app, make_user, make_thread):
    make_thread(tags=("literasi-anak",))
    browser = client_for(app, make_user("mira"))
    for n in range(MAX_UNUSED_TAG_FOLLOWS):
        assert follow(browser, f"harapan-{n}").status_code == 302
    tags_before = count_rows(app, Tag)

    refused = send(browser, "/tags/satu-lagi/follow", {"next": "/threads?tag=satu-lagi"})
    assert refused.status_code == 403
    assert "tags that no thread uses yet" in text(refused)
    assert '<a href="/threads?tag=satu-lagi">Back to where you were</a>' in text(refused)
    assert count_rows(app, Tag) == tags_before  # nothing was created

    # Tags that threads use can still be followed, and following again is harmless.
    assert follow(browser, "literasi-anak").status_code == 302
    assert follow(browser, "harapan-0").status_code == 302
    assert count_rows(app, TagFollow) == MAX_UNUSED_TAG_FOLLOWS + 1

    # Unfollowing one makes room for another.
    assert send(browser, "/tags/harapan-0/unfollow").status_code == 302
    assert follow(browser, "satu-lagi").status_code == 302


def test_a_tag_becomes_used_and_no_longer_counts(app, make_user, make_thread):
    member = make_user("mira")
    browser = client_for(app, member)
    for n in range(MAX_UNUSED_TAG_FOLLOWS):
        assert follow(browser, f"harapan-{n}").status_code == 302
    make_thread(tags=("harapan-3",))  # someone writes about one of them
    assert follow(browser, "topik-baru").status_code == 302


def test_the_cap_is_per_member(app, make_user):
    first = client_for(app, make_user("mira"))
    for n in range(MAX_UNUSED_TAG_FOLLOWS):
        follow(first, f"harapan-{n}")
    assert follow(first, "harapan-x").status_code == 403
    other = client_for(app, make_user("budi"))
    assert follow(other, "harapan-x").status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(Tag.id).where(Tag.name == "harapan-x")) is not None


# --- button rate limit ------------------------------------------------------------------


@pytest.fixture
def limited(app):
    """Another app on the same database and index (like a second worker), limits on."""
    settings = {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"],
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_ENGAGEMENT": "5 per minute",
    }
    other = create_app(type("C", (TestConfig,), settings))
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_buttons_are_limited_per_member_with_a_message(limited, make_user, make_thread):
    thread = make_thread()
    presses = [
        f"/threads/{thread.id}/bookmark",
        f"/threads/{thread.id}/bookmark",
        f"/threads/{thread.id}/unfollow",
        f"/threads/{thread.id}/follow",
        "/tags/literasi-anak/follow",
    ]
    browser = client_for(limited, make_user("mira"))
    for path in presses:
        assert send(browser, path).status_code == 302, path
    back = f"/threads/{thread.id}#thread-actions"
    for path in (f"/threads/{thread.id}/helpful", f"/threads/{thread.id}/bookmark"):
        refused = send(browser, path, {"next": back})
        assert refused.status_code == 429
        page = text(refused)
        assert "helpful, follow and bookmark buttons very often" in page
        assert f'<a href="{back}">Back to where you were</a>' in page
        assert "What you sent" not in page  # a button press: nothing typed to give back

    other = client_for(limited, make_user("budi"))  # same address, another member
    assert send(other, f"/threads/{thread.id}/bookmark").status_code == 302
