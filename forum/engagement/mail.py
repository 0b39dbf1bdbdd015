"""The e-mail digest: unread notifications members chose to get by e-mail, sent by SMTP.

Run by ``flask notifications send-digest`` (from cron). Without ``MAIL_SERVER``
nothing is sent and nothing fails. Each member's digest is written in their
language and marked sent in its own transaction, so a failure half-way never
sends anyone the same notification twice.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

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
from .models import Notification
from .texts import describe
from .texts import library_endpoint

log = logging.getLogger(__name__)

notifications_cli = AppGroup("notifications", help="Notifications sent by e-mail.")
MAX_ITEMS_PER_DIGEST = 50  # the rest waits for the next digest


@dataclass
class DigestReport:
    members: int = 0  # digests sent
    notifications: int = 0  # notifications in them
    failed: int = 0  # members whose digest could not be sent (logged), e.g. a refused address
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


def send_digests(app: Flask) -> DigestReport:
    """Send every member their pending digest; returns what was sent.

    Needs an app context. Opens one SMTP connection for the whole run.
    """
    if not mail_configured(app):
        return DigestReport(configured=False)
    report = DigestReport()
    recipients = _recipients()
    if not recipients:
        return report
    # url_for outside a request needs a request context; links use BASE_URL either way.
    with app.test_request_context(base_url=app.config["BASE_URL"]), connect(app.config) as smtp:
        for user in recipients:
            items = list(
                db.session.scalars(
                    _pending(user.id)
                    .options(
                        so.contains_eager(Notification.thread),
                        so.contains_eager(Notification.post),
                        so.joinedload(Notification.actor),
                    )
                    .order_by(Notification.created_at, Notification.id)
                    .limit(MAX_ITEMS_PER_DIGEST)
                )
            )
            try:
                smtp.send_message(_message(user, items))
            except smtplib.SMTPRecipientsRefused:
                log.warning("digest refused by the mail server for member %s", user.id)
                report.failed += 1
                continue
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                raise  # the server is gone: nobody after this member would get theirs either
            except Exception:
                # Whatever is wrong with one member's digest (their data, a message the
                # server refuses) must not cost everyone after them theirs: log, go on.
                log.exception("digest for member %s could not be sent", user.id)
                db.session.rollback()
                report.failed += 1
                continue
            now = utcnow()
            for item in items:
                item.emailed_at = now
            db.session.commit()
            report.members += 1
            report.notifications += len(items)
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
        + "."
    )
