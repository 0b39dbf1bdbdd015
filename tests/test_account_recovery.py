"""Accounts people can recover (issue 17), through a real local SMTP server.

Confirmed addresses, "forgot password" by e-mail, and e-mail changes that need
the password and a link; the same answers whoever is named, on both databases.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.auth.models import EmailConfirmation
from forum.mail import wait_for_background_mail
from forum.models import User
from forum.models import utcnow
from forum.moderation.models import PasswordResetToken
from tests.helpers import CSRF_RE
from tests.helpers import PASSWORD
from tests.helpers import REGISTRATION
from tests.helpers import app_db
from tests.helpers import client_for
from tests.helpers import post_form
from tests.smtp import smtp_sink

BASE_URL = "https://serambi.contoh.id"
LINK = re.compile(r"https://serambi\.contoh\.id(/auth/(?:confirm|reset)/[A-Za-z0-9_\-]+)")
NEW_PASSWORD = "kata-sandi-baru-saya"


@pytest.fixture
def mail(app):
    """A real SMTP server on localhost; the app sends through it."""
    with smtp_sink() as sink:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.server_address[1])
        app.config.update(BASE_URL=BASE_URL)
        yield sink


def all_mail(sink) -> list:
    """Every message the server received, once the app's background sending is done."""
    wait_for_background_mail()
    return [message for _sender, _rcpts, message in sink.messages]


def mails_to(sink, address: str) -> list:
    wait_for_background_mail()
    return [message for _sender, rcpts, message in sink.messages if address in rcpts]


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def link_in(message) -> str:
    """The path of the one link in a mail (under the configured BASE_URL)."""
    found = LINK.findall(text_of(message))
    assert len(found) == 1, text_of(message)
    assert found[0] in message.get_body(("html",)).get_content()  # both parts carry it
    return found[0]


def confirmed(app, user) -> tuple[str, bool]:
    with app_db(app) as session:
        row = session.get(User, user.id)
        return row.email, row.email_confirmed_at is not None


def without_tokens(html: str) -> str:
    return CSRF_RE.sub("", html)


def confirm_directly(app, user) -> None:
    with app_db(app) as session:
        session.get(User, user.id).email_confirmed_at = utcnow()
        session.commit()


def register(client, **changes):
    return post_form(client, "/auth/register", {**REGISTRATION, **changes}, page="/auth/register")


def forgot(client, identifier, **kwargs):
    return post_form(
        client, "/auth/forgot", {"identifier": identifier}, page="/auth/forgot", **kwargs
    )


# --- confirming the address given at registration -------------------------------------


def test_registration_sends_a_link_that_confirms_the_address_once(app, mail):
    browser = client_for(app)
    response = register(browser)
    assert response.status_code == 302
    assert "We sent a confirmation link to siti@contoh.id" in browser.get("/").get_data(
        as_text=True
    )
    (message,) = mails_to(mail, "siti@contoh.id")
    assert message["Subject"] == "Serambi: konfirmasi alamat e-mail Anda"  # Indonesian first
    # Until then a reminder, with a way to send it again.
    assert 'id="confirm-reminder"' in browser.get("/").get_data(as_text=True)

    link = link_in(message)
    opened = app.test_client().get(link)  # on a phone, not logged in
    assert opened.status_code == 200
    assert opened.headers["Referrer-Policy"] == "no-referrer"
    with app_db(app) as session:
        user = session.scalar(sa.select(User).where(User.username == "siti_cibatu"))
        assert user.email_confirmed_at is not None
        # Only the token's hash is stored.
        assert session.scalar(sa.select(EmailConfirmation.token_hash)) != link.rsplit("/", 1)[1]
    assert 'id="confirm-reminder"' not in browser.get("/").get_data(as_text=True)
    assert app.test_client().get(link).status_code == 404  # once


def test_an_expired_confirmation_link_is_refused(app, mail):
    register(client_for(app))
    link = link_in(mails_to(mail, "siti@contoh.id")[0])
    with app_db(app) as session:
        session.execute(
            sa.update(EmailConfirmation).values(
                created_at=utcnow() - timedelta(hours=25), expires_at=utcnow() - timedelta(hours=1)
            )
        )
        session.commit()
    assert app.test_client().get(link).status_code == 404
    with app_db(app) as session:
        assert session.scalar(sa.select(User.email_confirmed_at)) is None


def test_send_again_makes_a_new_link_and_the_old_one_stops(app, mail):
    browser = client_for(app)
    register(browser)
    first = link_in(mails_to(mail, "siti@contoh.id")[0])
    page = browser.get("/settings/profile").get_data(as_text=True)
    assert "Waiting for you to open the link we sent to siti@contoh.id" in page
    response = post_form(browser, "/settings/email/resend", page="/settings/profile")
    assert response.status_code == 302
    second = link_in(mails_to(mail, "siti@contoh.id")[1])
    assert first != second
    assert app.test_client().get(first).status_code == 404
    assert app.test_client().get(second).status_code == 200


def test_a_failure_to_send_is_try_again_later_never_an_error(app):
    with smtp_sink() as sink:
        port = sink.server_address[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)  # nobody listens now
    browser = client_for(app)
    assert register(browser).status_code == 302
    assert "could not be sent just now. Please try again later." in browser.get("/").get_data(
        as_text=True
    )
    resend = post_form(browser, "/settings/email/resend", page="/settings/profile")
    assert resend.status_code == 302
    assert "try again later" in browser.get("/settings/profile").get_data(as_text=True)


def test_existing_addresses_are_confirmed_only_on_the_operators_word(app, runner, make_user):
    member = make_user()
    assert confirmed(app, member) == (member.email, False)
    refused = runner.invoke(args=["users", "confirm-emails"])
    assert refused.exit_code == 2 and "--all-existing" in refused.output
    assert confirmed(app, member) == (member.email, False)
    result = runner.invoke(args=["users", "confirm-emails", "--all-existing"])
    assert result.exit_code == 0 and "Marked 1 e-mail addresses confirmed." in result.output
    assert confirmed(app, member) == (member.email, True)


# --- forgot password ------------------------------------------------------------------


def test_forgot_password_answers_the_same_for_anyone(app, mail, make_user):
    known = make_user("asep")
    confirm_directly(app, known)
    unconfirmed = make_user("budi")
    answers = {}
    for name in ("asep", known.email, "budi", unconfirmed.email, "tidak_ada", "x@contoh.id"):
        response = forgot(client_for(app), name)
        assert response.status_code == 200
        answers[name] = without_tokens(response.get_data(as_text=True))
    assert len(set(answers.values())) == 1
    assert "we have sent a link there" in answers["asep"]
    # Only the confirmed address got mail: one for the username, one for the address.
    assert len(mails_to(mail, known.email)) == 2
    assert mails_to(mail, unconfirmed.email) == []
    assert len(all_mail(mail)) == 2


def test_reset_by_mail_works_once_ends_sessions_and_earlier_links(app, mail, make_user):
    member = make_user("asep", locale="en")
    confirm_directly(app, member)
    elsewhere = client_for(app, member)  # logged in on the library PC
    forgot(client_for(app), "asep")
    earlier = link_in(mails_to(mail, member.email)[0])
    forgot(client_for(app), member.email.upper())  # the newest link is the one that works
    (_first, message) = mails_to(mail, member.email)
    assert message["Subject"] == "Serambi: choose a new password"  # the member's language
    link = link_in(message)
    assert app.test_client().get(earlier).status_code == 404

    phone = client_for(app)
    page = phone.get(link)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    done = post_form(phone, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, page=link)
    assert done.status_code == 302
    assert phone.get("/settings/profile").status_code == 200  # logged in
    assert elsewhere.get("/settings/profile").status_code == 302  # the other session ended
    assert app.test_client().get(link).status_code == 404  # once
    with app_db(app) as session:
        assert (
            session.scalar(
                sa.select(sa.func.count()).where(
                    PasswordResetToken.used_at.is_(None), PasswordResetToken.expires_at > utcnow()
                )
            )
            == 0
        )


def test_reset_link_by_mail_expires_after_an_hour(app, mail, make_user):
    member = make_user("asep")
    confirm_directly(app, member)
    forgot(client_for(app), "asep")
    link = link_in(mails_to(mail, member.email)[0])
    with app_db(app) as session:
        row = session.scalar(sa.select(PasswordResetToken))
        assert timedelta(minutes=59) < row.expires_at - row.created_at <= timedelta(hours=1)
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.commit()
    assert client_for(app).get(link).status_code == 404


def test_links_use_the_configured_address_never_the_requests_host(app, mail, make_user):
    member = make_user("asep")
    confirm_directly(app, member)
    browser = client_for(app)
    # A forged Host is refused outright (TRUSTED_HOSTS)...
    assert browser.get("/auth/forgot", base_url="http://evil.example").status_code == 400
    # ...and a link is built from the configured address, not from the request's.
    assert forgot(browser, "asep").status_code == 200
    body = text_of(mails_to(mail, member.email)[0])
    assert "evil.example" not in body
    assert f"{BASE_URL}/auth/reset/" in body


@pytest.mark.parametrize(
    "state",
    [
        {"suspended_indefinitely": True, "suspension_reason": "spam"},
        {"deleted_at": utcnow()},
    ],
)
def test_deleted_and_indefinitely_suspended_accounts_get_no_link(app, mail, make_user, state):
    member = make_user("asep", **state)
    confirm_directly(app, member)
    response = forgot(client_for(app), member.email)
    assert response.status_code == 200
    assert all_mail(mail) == []


def test_one_account_gets_at_most_three_links_an_hour(app, mail, make_user):
    member = make_user("asep")
    confirm_directly(app, member)
    for _ in range(5):
        assert forgot(client_for(app), "asep").status_code == 200
    assert len(mails_to(mail, member.email)) == 3


def test_without_a_mail_server_forgot_says_ask_a_facilitator(app, client):
    page = client_for(app).get("/auth/forgot").get_data(as_text=True)
    assert "This forum cannot send e-mail. Ask your facilitator" in page
    assert "Ask your facilitator for a new one." in client_for(app).get("/auth/login").get_data(
        as_text=True
    )


# --- changing the address --------------------------------------------------------------


def change_email(browser, member, new, password=PASSWORD):
    return post_form(
        browser,
        "/settings/profile",
        {
            "display_name": member.display_name,
            "email": new,
            "current_password": password,
            "timezone": "Asia/Jakarta",
            "language": "en",
        },
        page="/settings/profile",
    )


def test_changing_the_email_needs_the_password_and_the_new_addresss_link(app, mail, make_user):
    member = make_user("asep", library=None, locale="en")
    confirm_directly(app, member)
    browser = client_for(app, member)

    wrong = change_email(browser, member, "asep.baru@contoh.id", password="bukan-ini")
    assert wrong.status_code == 400
    assert "The current password is not right." in wrong.get_data(as_text=True)
    assert all_mail(mail) == []

    assert change_email(browser, member, "asep.baru@contoh.id").status_code == 302
    page = browser.get("/settings/profile").get_data(as_text=True)
    assert "Waiting for you to open the link we sent to asep.baru@contoh.id" in page
    assert confirmed(app, member) == (member.email, True)  # the old one stays until then
    (notice,) = mails_to(mail, member.email)  # the old address is told
    assert "asep.baru@contoh.id" in text_of(notice) and "facilitator" in text_of(notice)
    link = link_in(mails_to(mail, "asep.baru@contoh.id")[0])

    assert app.test_client().get(link).status_code == 200
    assert confirmed(app, member) == ("asep.baru@contoh.id", True)
    assert "Waiting for you" not in browser.get("/settings/profile").get_data(as_text=True)


def test_another_members_address_is_never_confirmed_and_the_form_says_the_same(
    app, mail, make_user
):
    make_user("lain", locale="en")  # lain@contoh.id, who reads English
    member = make_user("asep", library=None)
    browser = client_for(app, member)
    pages = {}
    for new in ("lain@contoh.id", "bebas@contoh.id"):
        response = change_email(browser, member, new)
        assert response.status_code == 302
        pages[new] = without_tokens(browser.get("/settings/profile").get_data(as_text=True))
    assert pages["lain@contoh.id"].replace("lain@contoh.id", "X") == pages[
        "bebas@contoh.id"
    ].replace("bebas@contoh.id", "X")
    assert "already registered" not in pages["lain@contoh.id"]

    # One message for the taken address too, in its owner's language: it says so, and
    # carries no link to confirm.
    (taken,) = mails_to(mail, "lain@contoh.id")
    assert "already belongs to an account" in text_of(taken)
    assert "/auth/confirm/" not in text_of(taken)
    assert "/auth/forgot" in text_of(taken)
    assert confirmed(app, member) == (member.email, False)
