"""Request limits: logins slow down per account and address, registration per address,
posting and flagging per member. Limits are off in TestConfig; these tests turn
them on for an app of their own, on the same database as the ``app`` fixture."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
from limits import parse_many

from forum.config import Config
from forum.moderation.models import LoginFailure
from tests.helpers import PASSWORD
from tests.helpers import REGISTRATION
from tests.helpers import app_db
from tests.helpers import client_for
from tests.helpers import csrf_token
from tests.helpers import main_text


def attempt(client, password, token, username="mira", address="192.0.2.1"):
    return client.post(
        "/auth/login",
        data={"username": username, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def test_after_ten_failures_one_try_a_minute_from_that_address_only(app, make_user):
    make_user("mira")
    browser = client_for(app)
    token = csrf_token(browser, "/auth/login")
    for _ in range(10):
        assert attempt(browser, "salah-terus", token).status_code == 400  # the form again
    slowed = attempt(browser, PASSWORD, token)  # even the right password waits
    assert slowed.status_code == 429
    assert 1 <= int(slowed.headers["Retry-After"]) <= 60
    assert "Too many failed attempts for this account" in main_text(slowed)
    assert 'value="mira"' in main_text(slowed)  # what was typed is kept

    # Another address (the real member, or a facilitator elsewhere) is not slowed.
    elsewhere = client_for(app)
    other_token = csrf_token(elsewhere, "/auth/login")
    assert attempt(elsewhere, PASSWORD, other_token, address="198.51.100.7").status_code == 302

    # A minute later this address gets one more try.
    with app_db(app) as session:
        session.execute(
            sa.update(LoginFailure).values(last_failed_at=datetime.now(UTC) - timedelta(seconds=61))
        )
        session.commit()
    assert attempt(browser, "masih-salah", token).status_code == 400
    assert attempt(browser, PASSWORD, token).status_code == 429
    with app_db(app) as session:
        assert session.scalar(sa.select(LoginFailure.failures)) == 11


def test_failed_logins_are_shared_by_every_worker(app, limited_app, make_user):
    make_user("mira")
    first = client_for(app)
    token = csrf_token(first, "/auth/login")
    for _ in range(10):
        attempt(first, "salah", token)
    second_worker = limited_app(RATELIMIT_LOGIN="1000 per minute").test_client()
    token = csrf_token(second_worker, "/auth/login")
    assert attempt(second_worker, PASSWORD, token).status_code == 429


def test_a_successful_login_clears_the_count(app, make_user):
    make_user("mira")
    browser = client_for(app)
    token = csrf_token(browser, "/auth/login")
    for _ in range(9):
        attempt(browser, "salah", token)
    assert attempt(browser, PASSWORD, token).status_code == 302
    with app_db(app) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 0


def test_login_bursts_are_limited_per_account_and_address(limited_app, make_user):
    make_user("mira")
    app = limited_app(RATELIMIT_LOGIN="3 per minute")
    browser = app.test_client()
    token = csrf_token(browser, "/auth/login")
    statuses = [attempt(browser, "salah", token).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    assert attempt(browser, "salah", token, username="oki").status_code == 400


def test_registration_is_limited_per_address_and_keeps_what_was_typed(limited_app):
    app = limited_app(RATELIMIT_REGISTER="2 per hour")
    statuses = []
    for n in range(3):
        browser = app.test_client()
        data = {
            **REGISTRATION,
            "username": f"warga{n}",
            "email": f"warga{n}@contoh.id",
            "csrf_token": csrf_token(browser, "/auth/register"),
        }
        response = browser.post("/auth/register", data=data)
        statuses.append(response.status_code)
    assert statuses == [302, 302, 429]
    page = response.get_data(as_text=True)
    assert "Siti Aminah" in page and REGISTRATION["password"] not in page


def test_posting_is_limited_per_member_and_keeps_the_text(limited_app, make_user, make_thread):
    thread = make_thread()
    app = limited_app(RATELIMIT_POSTING="2 per minute")
    busy, other = client_for(app, make_user()), client_for(app, make_user())
    token = csrf_token(busy)
    statuses = [
        busy.post(
            f"/threads/{thread.id}/replies",
            data={"body": f"Balasan nomor {n}", "csrf_token": token},
        ).status_code
        for n in range(3)
    ]
    assert statuses == [302, 302, 429]
    refused = busy.post(
        f"/threads/{thread.id}/replies", data={"body": "Tulisan panjang saya", "csrf_token": token}
    )
    assert refused.status_code == 429
    assert "Tulisan panjang saya" in main_text(refused)
    reply = other.post(
        f"/threads/{thread.id}/replies", data={"body": "Boleh", "csrf_token": csrf_token(other)}
    )
    assert reply.status_code == 302


def test_flagging_is_limited_per_member(limited_app, make_user, make_thread):
    threads = [make_thread() for _ in range(3)]
    app = limited_app(RATELIMIT_FLAGGING="2 per minute")
    browser = client_for(app, make_user())
    token = csrf_token(browser)
    statuses = [
        browser.post(
            f"/threads/{thread.id}/flag", data={"reason": "spam", "csrf_token": token}
        ).status_code
        for thread in threads
    ]
    assert statuses == [302, 302, 429]


def test_default_limits_leave_room_for_a_whole_training_session():
    registration = parse_many(Config.RATELIMIT_REGISTER)[0]
    assert registration.amount >= 60 and registration.get_expiry() <= 3600
    assert Config.LOGIN_SLOWDOWN_AFTER == 10 and Config.LOGIN_SLOWDOWN_SECONDS == 60
    assert [str(limit) for limit in parse_many(Config.RATELIMIT_POSTING)] == [
        "30 per 1 minute",
        "500 per 1 day",
    ]
