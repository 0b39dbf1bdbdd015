"""Accounts people can recover, in a real browser at phone and desktop width.

A real local SMTP server catches the mail; the journey opens the link from it,
as a member would from their phone's mail app.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from forum.auth.service import create_user
from forum.database import writing
from forum.extensions import db
from forum.mail import wait_for_background_mail
from forum.models import utcnow
from tests.browser.helpers import BOTH
from tests.browser.helpers import BROWSER_TEST_MARKS
from tests.browser.helpers import assert_phone_friendly
from tests.browser.helpers import log_in
from tests.browser.helpers import screenshot
from tests.smtp import smtp_sink

pytestmark = BROWSER_TEST_MARKS

OLD_PASSWORD = "kata-sandi-lama"
NEW_PASSWORD = "kata-sandi-baru-saya"


@pytest.fixture
def mail_server(sqlite_app, live_server):
    """The live app sends through a local SMTP server; links use the live address."""
    with smtp_sink() as sink:
        sqlite_app.config.update(
            MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.server_address[1], BASE_URL=live_server
        )
        yield sink


def make_member(app, *, confirmed=True):
    with app.app_context(), writing():
        user = create_user("neneng", "neneng@contoh.id", OLD_PASSWORD, display_name="Neneng")
        if confirmed:
            user.email_confirmed_at = utcnow()
        db.session.commit()


def link_in_last_mail(sink, address: str) -> str:
    wait_for_background_mail()
    messages = [m for _s, rcpts, m in sink.messages if address in rcpts]
    assert messages, f"no mail to {address}"
    text = messages[-1].get_body(("plain",)).get_content()
    return re.search(r"http://127\.0\.0\.1:\d+/auth/(?:reset|confirm)/\S+", text).group(0)


@BOTH
def test_forgot_password_on_a_phone_then_log_in(
    sqlite_app, live_server, mail_server, open_page, device
):
    make_member(sqlite_app)
    page = open_page(device)
    page.goto(f"{live_server}/auth/login")
    page.get_by_role("link", name="Lupa kata sandi?").click()
    expect(page.get_by_role("heading", name="Lupa kata sandi?")).to_be_visible()
    assert_phone_friendly(page)
    screenshot(page, "forgot")

    page.get_by_label("Nama pengguna atau alamat e-mail Anda").fill("neneng")
    page.get_by_role("button", name="Kirimkan tautan").click()
    expect(page.get_by_text("kami sudah mengirim tautan ke sana")).to_be_visible()
    assert_phone_friendly(page)
    screenshot(page, "forgot-sent")

    page.goto(link_in_last_mail(mail_server, "neneng@contoh.id"))
    expect(page.get_by_role("heading", name="Pilih kata sandi baru")).to_be_visible()
    assert_phone_friendly(page)
    screenshot(page, "reset-by-mail")
    page.get_by_label("Kata sandi baru").fill(NEW_PASSWORD)
    page.get_by_label("Ulangi kata sandi").fill(NEW_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_text("Kata sandi baru Anda tersimpan")).to_be_visible()

    # And it is the password from now on.
    fresh = open_page(device)
    log_in(fresh, live_server, "neneng", NEW_PASSWORD)
    fresh.goto(f"{live_server}/settings/profile")  # only a logged-in member gets here
    expect(fresh.get_by_role("heading", name="Pengaturan profil")).to_be_visible()


@BOTH
def test_confirm_the_address_from_the_reminder(
    sqlite_app, live_server, mail_server, open_page, device
):
    make_member(sqlite_app, confirmed=False)
    page = open_page(device)
    log_in(page, live_server, "neneng", OLD_PASSWORD)
    reminder = page.locator("#confirm-reminder")
    expect(reminder).to_be_visible()
    assert_phone_friendly(page)
    screenshot(page, "confirm-reminder")
    reminder.get_by_role("link").click()
    page.wait_for_url("**/settings/profile*")
    page.wait_for_load_state()
    assert_phone_friendly(page)
    page.get_by_role("button", name="Kirim ulang tautannya").click()
    expect(
        page.get_by_text("Kami sudah mengirim tautan konfirmasi ke neneng@contoh.id")
    ).to_be_visible()
    assert_phone_friendly(page)
    screenshot(page, "profile-pending")

    page.goto(link_in_last_mail(mail_server, "neneng@contoh.id"))
    expect(page.get_by_role("heading", name="Alamat e-mail sudah dikonfirmasi")).to_be_visible()
    assert_phone_friendly(page)
    screenshot(page, "email-confirmed")
    page.goto(f"{live_server}/")
    expect(page.locator("#confirm-reminder")).to_have_count(0)


@BOTH
def test_a_librarian_makes_an_api_token_copies_it_once_and_revokes_it(
    sqlite_app, live_server, open_page, device
):
    make_member(sqlite_app)
    page = open_page(device)
    log_in(page, live_server, "neneng", OLD_PASSWORD)
    page.goto(f"{live_server}/settings/tokens")
    page.get_by_role("textbox", name="Nama").fill("Bot grup WhatsApp")
    page.get_by_role("button", name="Buat token").click()
    expect(page.locator("#token-secret")).to_have_value(re.compile(r"^srb_\S{40,}$"))
    assert_phone_friendly(page)
    revoke = page.locator(".token-list").get_by_role("link", name="Cabut")
    assert revoke.bounding_box()["height"] >= 44  # a finger, not a word in a line of text
    screenshot(page, "api-token")

    page.goto(f"{live_server}/settings/tokens")  # shown once
    expect(page.locator("#token-secret")).to_have_count(0)
    revoke.click()
    page.get_by_role("button", name="Ya, cabut").click()
    expect(page.locator(".token-list")).to_have_count(0)
