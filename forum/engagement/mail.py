"""The e-mail digest: unread notifications members chose to get by e-mail, sent by SMTP.

Run by ``flask notifications send-digest`` (from cron). Without ``MAIL_SERVER``
nothing is sent and nothing fails. Each member's digest is written in their
language and marked sent in its own transaction, so a failure half-way never
sends anyone the same notification twice.

Once per member per period (``DIGEST_PERIOD_HOURS``), however many servers or
workers run it at the same moment: before sending, a run commits a
:class:`~.models.DigestClaim` for (member, period), which only one run can insert;
the others skip that member. The claim is marked sent together with the
notifications, after the mail server accepted the message. A failed send gives
the claim back (a later run tries again); a run that died holding one leaves it
to be taken over after ``CLAIM_LEASE``. Only a crash between the mail server's
"accepted" and the commit can send a digest twice: mail and database are never
one transaction.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import ngettext

from ..database import writing
from ..extensions import db
from ..mail import connect
from ..mail import html_paragraphs
from ..mail import mail_configured
from ..mail import recipient
from ..models import User
from ..models import utcnow
from ..urls import external_url
from .models import DigestClaim
from .models import Notification
from .texts import describe
from .texts import library_endpoint

log = logging.getLogger(__name__)

notifications_cli = AppGroup("notifications", help="Notifications sent by e-mail.")
MAX_ITEMS_PER_DIGEST = 50  # the rest waits for the next digest
# Sending one member's digest takes seconds; a claim this old was left by a run that died.
CLAIM_LEASE = timedelta(minutes=10)
# Periods are counted from a Monday midnight: daily ones start at midnight, weekly on Mondays.
_PERIODS_FROM = datetime(2024, 1, 1)


@dataclass
class DigestReport:
    members: int = 0  # digests sent
    notifications: int = 0  # notifications in them
    failed: int = 0  # members whose digest could not be sent (logged), e.g. a refused address
    skipped: int = 0  # members another run (another server, worker) sends to this period
    configured: bool = True


def _pending(user_id: int | None = None):
    from .service import _shown

    query = _shown(
        sa.select(Notification).where(
            Notification.email.is_(True),
            Notification.emailed_at.is_(None),
            Notification.read_at.is_(None),
        )
    )
    if user_id is not None:
        query = query.where(Notification.user_id == user_id)
    return query


def _recipients() -> list[User]:
    ids = _pending().with_only_columns(Notification.user_id)
    return list(db.session.scalars(sa.select(User).where(User.id.in_(ids)).order_by(User.id)))


def _message(user: User, items: list[Notification]) -> EmailMessage:
    """The digest in the member's language, with a link to each item and to the settings."""
    config = current_app.config
    with force_locale(user.locale or config["BABEL_DEFAULT_LOCALE"]):
        subject = ngettext(
            "Serambi: %(num)d new notification", "Serambi: %(num)d new notifications", len(items)
        )
        lines = [_("Hello %(name)s,", name=user.display_name), ""]
        lines.append(_("This happened on Serambi since your last digest:"))
        lines.append("")
        for item in items:
            if item.thread is None:  # about a library: the page where it is answered
                lines += [f"- {describe(item)}", f"  {external_url(library_endpoint(item))}"]
                continue
            anchor = f"post-{item.post_id}" if item.post_id else None
            link = external_url("threads.detail", thread_id=item.thread_id, _anchor=anchor)
            kind = _("Best practice") if item.thread.kind == "practice" else _("Challenge")
            lines += [f"- [{kind}] {describe(item)}", f"  {link}"]
        lines += [
            "",
            _(
                "All notifications: %(url)s",
                url=external_url("engagement.notifications"),
            ),
            _(
                "Choose what you receive by e-mail: %(url)s",
                url=external_url("engagement.settings"),
            ),
        ]
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = recipient(user.display_name, user.email)
    # Mail programs offer "unsubscribe" from this: the page where e-mail is switched off.
    message["List-Unsubscribe"] = f"<{external_url('engagement.settings')}>"
    message.set_content("\n".join(lines))
    message.add_alternative(html_paragraphs([line for line in lines if line]), subtype="html")
    return message


def period_start(now: datetime, hours: int, timezone: str) -> datetime:
    """The start (UTC) of the digest period ``now`` falls in, on the forum's local clock."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone).replace(tzinfo=None)
    length = timedelta(hours=max(1, hours))
    start = _PERIODS_FROM + ((local - _PERIODS_FROM) // length) * length
    return start.replace(tzinfo=zone).astimezone(now.tzinfo)


def _claim(user_id: int, period: datetime) -> bool:
    """Claim the member's digest for the period, committed: True when this run sends it."""
    now = utcnow()
    try:
        with db.session.begin_nested():
            db.session.execute(
                sa.insert(DigestClaim).values(user_id=user_id, period_start=period, claimed_at=now)
            )
        claimed = True
    except sa.exc.IntegrityError:  # another run's: take it over only if it died unsent
        taken = db.session.execute(
            sa.update(DigestClaim)
            .where(
                DigestClaim.user_id == user_id,
                DigestClaim.period_start == period,
                DigestClaim.sent_at.is_(None),
                DigestClaim.claimed_at < now - CLAIM_LEASE,
            )
            .values(claimed_at=now)
        )
        claimed = taken.rowcount == 1
    db.session.commit()
    return claimed


def _claimed(user_id: int, period: datetime):
    return sa.and_(DigestClaim.user_id == user_id, DigestClaim.period_start == period)


def _give_back(user_id: int, period: datetime) -> None:
    """Release an unsent claim, so a later run (this period too) tries again."""
    db.session.rollback()
    db.session.execute(
        sa.delete(DigestClaim).where(_claimed(user_id, period), DigestClaim.sent_at.is_(None))
    )
    db.session.commit()


def _items(user_id: int) -> list[Notification]:
    return list(
        db.session.scalars(
            _pending(user_id)
            .options(
                so.contains_eager(Notification.thread),
                so.contains_eager(Notification.post),
                so.joinedload(Notification.actor),
            )
            .order_by(Notification.created_at, Notification.id)
            .limit(MAX_ITEMS_PER_DIGEST)
        )
    )


def _mark_sent(user_id: int, period: datetime, item_ids: list[int]) -> None:
    """The notifications and the claim, in one transaction: the mail server accepted it."""
    now = utcnow()
    db.session.execute(
        sa.update(Notification).where(Notification.id.in_(item_ids)).values(emailed_at=now)
    )
    db.session.execute(sa.update(DigestClaim).where(_claimed(user_id, period)).values(sent_at=now))
    db.session.commit()


def send_digests(app: Flask) -> DigestReport:
    """Send every member their pending digest, once per period; returns what was sent.

    Needs an app context. Opens one SMTP connection for the whole run.
    """
    if not mail_configured(app):
        return DigestReport(configured=False)
    report = DigestReport()
    recipients = [user.id for user in _recipients()]
    if not recipients:
        return report
    config = app.config
    period = period_start(utcnow(), config["DIGEST_PERIOD_HOURS"], config["BABEL_DEFAULT_TIMEZONE"])
    # url_for outside a request needs a request context; links use BASE_URL either way.
    with app.test_request_context(base_url=config["BASE_URL"]), connect(config) as smtp:
        for user_id in recipients:
            if not _claim(user_id, period):
                report.skipped += 1
                continue
            user = db.session.get(User, user_id)
            items = _items(user_id)
            if not items:  # sent by a run of the previous period meanwhile
                _give_back(user_id, period)
                continue
            item_ids = [item.id for item in items]
            try:
                message = _message(user, items)
                # End the read first: on SQLite no lock is held while the mail server answers.
                db.session.commit()
                smtp.send_message(message)
            except smtplib.SMTPRecipientsRefused:
                log.warning("digest refused by the mail server for member %s", user_id)
                _give_back(user_id, period)
                report.failed += 1
                continue
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                _give_back(user_id, period)
                raise  # the server is gone: nobody after this member would get theirs either
            except Exception:
                # Whatever is wrong with one member's digest (their data, a message the
                # server refuses) must not cost everyone after them theirs: log, go on.
                log.exception("digest for member %s could not be sent", user_id)
                _give_back(user_id, period)
                report.failed += 1
                continue
            _mark_sent(user_id, period, item_ids)
            report.members += 1
            report.notifications += len(item_ids)
    return report


@notifications_cli.command("send-digest")
def send_digest_command() -> None:
    """E-mail each member their unread notifications (run from cron, e.g. daily)."""
    if not mail_configured(current_app):
        click.echo("MAIL_SERVER is not set: no e-mail sent.")
        return
    with writing():
        try:
            report = send_digests(current_app)
        except (OSError, smtplib.SMTPException) as error:
            raise click.ClickException(f"could not send mail: {error}") from error
    click.echo(
        f"Digests sent: {report.members} members, {report.notifications} notifications"
        + (f", {report.failed} refused by the mail server" if report.failed else "")
        + (f", {report.skipped} sent by another run this period" if report.skipped else "")
        + "."
    )
