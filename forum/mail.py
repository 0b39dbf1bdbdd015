"""Sending e-mail: SMTP as the settings say, every message in plain text and HTML.

``MAIL_SERVER``, ``MAIL_PORT``, ``MAIL_USE_TLS`` (STARTTLS), ``MAIL_USERNAME``,
``MAIL_PASSWORD`` and ``MAIL_DEFAULT_SENDER`` come from the environment (see
:mod:`forum.config`). Without ``MAIL_SERVER`` nothing is sent. Every link in a
message starts with the configured ``BASE_URL``, never with the Host header of
the request that caused it (a forged Host would otherwise put another site into
a password-reset mail).

A failure to send is logged and reported to the caller as ``False``: a member
sees "try again later", never a 500, and a batch goes on to the next member.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr

from flask import Flask
from flask import current_app
from markupsafe import escape

from . import background
from .forms import CONTROL_CHARACTERS

log = logging.getLogger(__name__)
BACKGROUND_NAME = "serambi-mail"


def mail_configured(app: Flask | None = None) -> bool:
    """Is there a mail server to send through?"""
    return bool((app or current_app).config.get("MAIL_SERVER"))


def connect(config) -> smtplib.SMTP:
    """An open SMTP connection as the settings say (STARTTLS and login when set)."""
    smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30)
    try:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def recipient(name: str, address: str) -> str:
    """A ``To:`` value. A name can never add a header line, whatever was stored."""
    return formataddr((CONTROL_CHARACTERS.sub(" ", name or "").strip(), address))


def html_paragraphs(paragraphs: list[str]) -> str:
    """The HTML part: the same paragraphs as the text part, links made clickable."""
    parts = []
    for paragraph in paragraphs:
        words = []
        for word in str(paragraph).split(" "):
            if word.startswith(("http://", "https://")):
                words.append(f'<a href="{escape(word)}">{escape(word)}</a>')
            else:
                words.append(str(escape(word)))
        parts.append("<p>" + " ".join(words).replace("\n", "<br>") + "</p>")
    return (
        '<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">'
        + "".join(parts)
        + "</body></html>"
    )


def build_message(
    *, to: str, subject: str, paragraphs: list[str], headers: dict[str, str] | None = None
) -> EmailMessage:
    """A message with a plain-text part and an HTML part saying the same thing."""
    message = EmailMessage()
    message["Subject"] = CONTROL_CHARACTERS.sub(" ", subject)
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content("\n\n".join(str(p) for p in paragraphs) + "\n")
    message.add_alternative(html_paragraphs(paragraphs), subtype="html")
    return message


def send(message: EmailMessage) -> bool:
    """Send one message; ``False`` (and a log line) when it could not be sent."""
    config = current_app.config
    if not mail_configured():
        return False
    try:
        with connect(config) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException, ValueError) as error:
        log.warning("could not send %r: %s", message["Subject"], error)
        return False
    return True


def send_later(message: EmailMessage) -> None:
    """Send after the response, in a thread: the page answers as fast as when nothing is sent.

    For pages that must not tell, by how long they take, whether anyone was found
    ("forgot password"). A failure is logged, like :func:`send`.
    """
    app = current_app._get_current_object()

    def work() -> None:
        with app.app_context():
            send(message)

    background.run_later(BACKGROUND_NAME, work)


def wait_for_background_mail(timeout: float = 30) -> None:
    """Wait until every message handed to :func:`send_later` is sent (tests, shutdown)."""
    background.wait(BACKGROUND_NAME, timeout)
