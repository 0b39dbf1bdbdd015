"""The e-mail digest: sent through a real (local) SMTP server, in each member's language."""

from __future__ import annotations

import threading
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.database import writing
from forum.engagement import mail
from forum.engagement import service
from forum.engagement.models import DigestClaim
from forum.engagement.models import Notification
from forum.extensions import db
from forum.models import User
from forum.models import utcnow
from tests.helpers import app_db
from tests.helpers import login_as
from tests.helpers import post_form
from tests.smtp import smtp_sink


def wants_email(app, user, kinds=("reply", "mention")) -> None:
    with app_db(app) as session:
        service.save_settings(session.get(User, user.id), {kind: (True, True) for kind in kinds})
        session.commit()


def reply(app, make_user, thread, body="Kami juga pernah mencobanya."):
    client = app.test_client()
    login_as(client, make_user(display_name="Dewi Kartika"))
    assert post_form(client, f"/threads/{thread.id}/replies", {"body": body}).status_code == 302


def test_digest_is_sent_once_in_the_members_language(app, runner, make_user, make_thread):
    english, indonesian, quiet = (
        make_user(locale="en"),
        make_user(locale="id"),
        make_user(),  # e-mail is opt-in: no digest for them
    )
    for member in (english, indonesian):
        wants_email(app, member)
    for member in (english, indonesian, quiet):
        reply(app, make_user, make_thread(member, title=f"Utas milik {member.username}"))

    with smtp_sink() as sink:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.server_address[1])
        result = runner.invoke(args=["notifications", "send-digest"])
        assert result.exit_code == 0, result.output
        assert "2 members, 2 notifications" in result.output
        by_recipient = {rcpts[0]: message for _sender, rcpts, message in sink.messages}
        assert set(by_recipient) == {english.email, indonesian.email}
        english_text = by_recipient[english.email].get_body(("plain",)).get_content()
        assert by_recipient[english.email]["Subject"] == "Serambi: 1 new notification"
        assert f"Dewi Kartika replied in “Utas milik {english.username}”." in english_text
        assert "http://localhost/threads/" in english_text
        assert "[Best practice]" in english_text
        indonesian_text = by_recipient[indonesian.email].get_body(("plain",)).get_content()
        assert "[Praktik baik]" in indonesian_text
        # Mail programs offer "unsubscribe": it leads to the notification settings.
        assert by_recipient[english.email]["List-Unsubscribe"] == (
            f"<{app.config['BASE_URL']}/settings/notifications>"
        )
        assert "<a href=" in by_recipient[english.email].get_body(("html",)).get_content()

        # Nothing is sent twice.
        again = runner.invoke(args=["notifications", "send-digest"])
        assert "0 members" in again.output
        assert len(sink.messages) == 2


def test_read_notifications_and_hidden_posts_are_not_mailed(app, runner, make_user, make_thread):
    member = make_user()
    wants_email(app, member)
    thread = make_thread(member)
    reply(app, make_user, thread)
    with app_db(app) as session:
        session.execute(sa.update(Notification).values(read_at=sa.func.now()))
        session.commit()
    with smtp_sink() as sink:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.server_address[1])
        runner.invoke(args=["notifications", "send-digest"])
        assert sink.messages == []


def test_a_refused_address_does_not_stop_the_others(app, runner, make_user, make_thread):
    refused, fine = make_user(), make_user()
    for member in (refused, fine):
        wants_email(app, member)
        reply(app, make_user, make_thread(member))
    with smtp_sink(refuse={refused.email}) as sink:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.server_address[1])
        result = runner.invoke(args=["notifications", "send-digest"])
        assert result.exit_code == 0
        assert "1 refused" in result.output
        assert [rcpts for _s, rcpts, _m in sink.messages] == [[fine.email]]
    with app_db(app) as session:  # the refused one waits for the next run
        pending = session.scalar(
            sa.select(sa.func.count()).where(
                Notification.user_id == refused.id, Notification.emailed_at.is_(None)
            )
        )
    assert pending == 1


@pytest.mark.parametrize(
    ("column", "stored"),
    [
        # Stored before single-line fields refused control characters (issue 14).
        ("stored_display_name", "Asep\r\nBcc: semua@contoh.id"),
        ("email", "asep@contoh.id\r\nBcc: semua@contoh.id"),
    ],
)
def test_one_members_broken_digest_never_stops_the_batch(
    app, runner, make_user, make_thread, column, stored
):
    broken, after = make_user(), make_user()
    for member in (broken, after):
        wants_email(app, member)
        reply(app, make_user, make_thread(member))
    with app_db(app) as session:
        session.execute(sa.update(User).where(User.id == broken.id).values({column: stored}))
        session.commit()
    with smtp_sink() as sink:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.server_address[1])
        result = runner.invoke(args=["notifications", "send-digest"])
        assert result.exit_code == 0, result.output
        recipients = [rcpts for _s, rcpts, _m in sink.messages]
    assert [after.email] in recipients  # the member after them got theirs
    for _sender, rcpts, message in sink.messages:  # a name never adds a header or an address
        assert "Bcc" not in message
        assert "semua@contoh.id" not in rcpts
        assert len(message["To"].addresses) == 1


def test_without_mail_server_nothing_is_sent_and_nothing_fails(app, runner, make_user, make_thread):
    member = make_user()
    wants_email(app, member)
    reply(app, make_user, make_thread(member))
    result = runner.invoke(args=["notifications", "send-digest"])
    assert result.exit_code == 0
    assert "MAIL_SERVER is not set" in result.output
    with app_db(app) as session:
        assert session.scalar(sa.select(Notification.emailed_at)) is None


def test_unreachable_mail_server_is_a_clear_error(app, runner, make_user, make_thread):
    member = make_user()
    wants_email(app, member)
    reply(app, make_user, make_thread(member))
    with smtp_sink() as sink:
        port = sink.server_address[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)  # closed now
    result = runner.invoke(args=["notifications", "send-digest"])
    assert result.exit_code == 1
    assert "could not send mail" in result.output
    with app_db(app) as session:
        assert session.scalar(sa.select(Notification.emailed_at)) is None


def test_in_app_off_email_on_still_mails_but_shows_no_bell(
    app, client, runner, make_user, make_thread
):
    member = make_user()
    with app_db(app) as session:
        service.save_settings(session.get(User, member.id), {"reply": (False, True)})
        session.commit()
    reply(app, make_user, make_thread(member))
    login_as(client, member)
    assert 'class="count"' not in client.get("/").get_data(as_text=True)
    with smtp_sink() as sink:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.server_address[1])
        runner.invoke(args=["notifications", "send-digest"])
        assert len(sink.messages) == 1


def send_at_once(apps) -> list:
    """Run the digest in every app at the same moment, as servers' cron lines do."""
    reports = [None] * len(apps)

    def run(n, app):
        with app.app_context(), writing():
            reports[n] = mail.send_digests(app)
            db.session.remove()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(apps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)  # a guard against hanging forever, not a speed check
    return reports


def test_two_runs_at_the_same_moment_send_each_digest_once(
    app, sibling_app, make_user, make_thread
):
    members = [make_user(), make_user()]
    for member in members:
        wants_email(app, member)
        reply(app, make_user, make_thread(member))
    with smtp_sink(hold_until=2) as sink:  # both runs reached the mail server
        mail_settings = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": sink.server_address[1]}
        app.config.update(mail_settings)
        reports = send_at_once([app, sibling_app(**mail_settings)])
        recipients = sorted(rcpts[0] for _s, rcpts, _m in sink.messages)
    assert recipients == sorted(member.email for member in members)
    assert sum(report.members for report in reports) == 2
    assert sum(report.skipped for report in reports) == 2  # each run left the other's alone


def test_a_claim_left_by_a_run_that_died_is_taken_over(app, runner, make_user, make_thread):
    member = make_user()
    wants_email(app, member)
    reply(app, make_user, make_thread(member))
    period = mail.period_start(utcnow(), 24, app.config["BABEL_DEFAULT_TIMEZONE"])
    with app_db(app) as session:  # another server's run is sending it right now
        session.add(DigestClaim(user_id=member.id, period_start=period, claimed_at=utcnow()))
        session.commit()
    with smtp_sink() as sink:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.server_address[1])
        busy = runner.invoke(args=["notifications", "send-digest"])
        assert "0 members" in busy.output and "1 sent by another run" in busy.output
        assert sink.messages == []

        with app_db(app) as session:  # that run died without sending
            session.execute(
                sa.update(DigestClaim).values(claimed_at=utcnow() - mail.CLAIM_LEASE * 2)
            )
            session.commit()
        taken_over = runner.invoke(args=["notifications", "send-digest"])
        assert "1 members, 1 notifications" in taken_over.output
        assert [rcpts for _s, rcpts, _m in sink.messages] == [[member.email]]


def test_one_digest_per_period_the_next_brings_the_rest(
    app, runner, make_user, make_thread, monkeypatch
):
    member = make_user()
    wants_email(app, member)
    thread = make_thread(member)
    reply(app, make_user, thread, body="Balasan pertama.")
    with smtp_sink() as sink:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.server_address[1])
        runner.invoke(args=["notifications", "send-digest"])
        reply(app, make_user, thread, body="Balasan kedua.")
        later_today = runner.invoke(args=["notifications", "send-digest"])
        assert "0 members" in later_today.output and len(sink.messages) == 1

        tomorrow = utcnow() + timedelta(days=1)
        monkeypatch.setattr(mail, "utcnow", lambda: tomorrow)
        next_day = runner.invoke(args=["notifications", "send-digest"])
        assert "1 members, 1 notifications" in next_day.output
        assert len(sink.messages) == 2


@pytest.mark.parametrize(
    ("now", "hours", "start"),
    [
        # Periods follow the forum's clock (Jakarta, UTC+7): a day starts at 17:00 UTC.
        (datetime(2026, 12, 3, 0, 30, tzinfo=UTC), 24, datetime(2026, 12, 2, 17, tzinfo=UTC)),
        (datetime(2026, 12, 2, 17, 30, tzinfo=UTC), 24, datetime(2026, 12, 2, 17, tzinfo=UTC)),
        (datetime(2026, 12, 2, 16, 59, tzinfo=UTC), 24, datetime(2026, 12, 1, 17, tzinfo=UTC)),
        (datetime(2026, 12, 3, 6, 10, tzinfo=UTC), 6, datetime(2026, 12, 3, 5, tzinfo=UTC)),
        # Weekly: from Monday (Thursday 3 December belongs to Monday 30 November's week).
        (datetime(2026, 12, 3, 0, 30, tzinfo=UTC), 168, datetime(2026, 11, 29, 17, tzinfo=UTC)),
    ],
)
def test_digest_periods_start_at_local_midnight(now, hours, start):
    assert mail.period_start(now, hours, "Asia/Jakarta") == start
