"""A POST without the CSRF token is refused (400) on every POST route, and changes nothing.

Routes come from ``app.url_map``, so a route added later is covered without
touching this file. The browser is an admin's, so permissions are never what
stops the request: only the missing token.
"""

from __future__ import annotations

import sqlalchemy as sa

from forum import create_app
from forum.config import TestConfig
from forum.extensions import db
from tests.helpers import app_db
from tests.helpers import login_as


def post_rules():
    app = create_app(TestConfig)
    return sorted(
        (rule for rule in app.url_map.iter_rules() if "POST" in rule.methods),
        key=lambda rule: rule.rule,
    )


def snapshot(app) -> dict[str, list]:
    """Every row of every table, to compare before and after."""
    with app_db(app) as session:
        return {
            table.name: sorted(map(repr, session.execute(sa.select(table)).all()))
            for table in db.metadata.sorted_tables
        }


def test_every_post_route_is_known_to_this_suite():
    # A sanity check on the enumeration itself: the well-known routes are there.
    rules = {rule.rule for rule in post_rules()}
    assert {"/auth/login", "/auth/logout", "/threads/new", "/settings/account/delete"} <= rules
    assert len(rules) >= 25


def test_post_without_csrf_token_is_refused_everywhere_and_changes_nothing(
    app, make_user, make_thread, make_reply
):
    admin = make_user("admin_satu", role="admin")
    librarian = make_user("pustakawan_lain")
    thread = make_thread(librarian)
    reply = make_reply(thread, librarian)
    values = {
        "thread_id": thread.id,
        "post_id": reply.id,
        "username": librarian.username,
        "name": "literasi-anak",
        "token": "tidak-ada",
        "answer": "confirm",  # a join request's answer (confirm | decline)
    }
    client = app.test_client()
    login_as(client, admin)
    before = snapshot(app)
    refused = []
    for rule in post_rules():
        args = {
            name: values.get(name, 1 if rule._converters[name].regex.startswith(r"\d") else "x")
            for name in rule.arguments
        }
        url = rule.build(args)[1]
        for body in ({}, {"csrf_token": "dipalsukan"}):
            response = client.post(url, data={"body": "x", "reason": "spam", **body})
            # The API never reads the session: a logged-in browser without a token is nobody.
            expected = 401 if rule.rule.startswith("/api/") else 400
            if response.status_code != expected:
                refused.append((rule.rule, body, response.status_code))
    assert refused == []
    assert snapshot(app) == before
    # Still logged in: logout without a token did nothing either.
    assert client.get("/settings/profile").status_code == 200


def test_json_post_without_the_header_token_is_refused(app, make_user):
    client = app.test_client()
    login_as(client, make_user())
    response = client.post("/drafts/autosave", json={"slot": "thread", "title": "x"})
    assert response.status_code == 400
