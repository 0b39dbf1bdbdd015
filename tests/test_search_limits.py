"""Search, suggestions and similar threads are limited per member, and per address for
visitors with room for a whole meeting on one Wi-Fi (issue 14). Limits are off in
TestConfig; these tests turn them on for an app of their own (small numbers, the same
rules as the defaults)."""

from __future__ import annotations

import pytest

from forum import create_app
from forum.config import TestConfig
from forum.extensions import db
from tests.helpers import ON_EVERY_SEARCH_BACKEND
from tests.helpers import client_for

pytestmark = ON_EVERY_SEARCH_BACKEND

ROOM = "192.0.2.10"  # one meeting room's Wi-Fi
ELSEWHERE = "198.51.100.7"


@pytest.fixture
def limited(app):
    """Another app on the same database and index, limits on, two searches a minute each."""
    settings = {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"],
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_SEARCH": "2 per minute",
        "RATELIMIT_SUGGEST": "2 per minute",
        "SEARCH_VISITORS_PER_ADDRESS": 3,
    }
    other = create_app(type("C", (TestConfig,), settings))
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def get(client, url, address=ROOM):
    return client.get(url, environ_base={"REMOTE_ADDR": address})


@pytest.mark.parametrize(
    "url",
    ["/search?q=buku", "/search/suggest?q=buku", "/threads/new/similar?title=buku+hilang"],
)
def test_a_member_is_limited_wherever_they_are(limited, make_user, url):
    member = make_user()
    browser = client_for(limited, member)
    assert get(browser, url).status_code == 200
    assert get(browser, url, address=ELSEWHERE).status_code == 200
    refused = get(browser, url, address="203.0.113.9")  # a new address does not reset it
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
    # Another member in the same room still searches.
    assert get(client_for(limited, make_user()), url).status_code == 200


@pytest.mark.parametrize(
    "url",
    ["/search?q=buku", "/search/suggest?q=buku", "/threads/new/similar?title=buku+hilang"],
)
def test_visitors_share_their_addresses_allowance(limited, make_user, url):
    visitors = [client_for(limited) for _ in range(6)]
    assert [get(visitor, url).status_code for visitor in visitors] == [200] * 6
    assert get(visitors[0], url).status_code == 429
    assert get(visitors[0], url, address=ELSEWHERE).status_code == 200
    # Members in that room are counted as members, not as the room.
    assert get(client_for(limited, make_user()), url).status_code == 200


def test_the_limits_differ_per_kind_of_request(limited, make_user):
    browser = client_for(limited, make_user())
    for _ in range(2):
        assert get(browser, "/search?q=buku").status_code == 200
    assert get(browser, "/search?q=buku").status_code == 429
    assert get(browser, "/search/suggest?q=buku").status_code == 200
