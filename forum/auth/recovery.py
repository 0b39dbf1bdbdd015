"""Accounts people can recover: confirmed e-mail addresses and "forgot password" by e-mail.

A password-reset link is only ever sent to a *confirmed* address, and an
address becomes confirmed only when a link sent to it is opened. Changing the
address needs the current password, and the new one takes effect only when its
link is opened; the old address is told. Whether or not another member uses an
address, the member sees the same thing and one message is sent: a taken
address gets a note saying so instead of a link, and its confirmation row has a
token that was never sent, so it can never be confirmed.

The functions here change rows and return the messages to send; the caller
commits first and sends after (:func:`forum.mail.send`), so a link in a mail
always exists in the database.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ..extensions import db
from ..mail import build_message
from ..mail import recipient
from ..models import User
from ..models import utcnow
from ..moderation.models import PasswordResetToken
from ..urls import external_url
from .models import EmailConfirmation

CONFIRM_LINK_LIFETIME = timedelta(hours=24)
RESET_BY_MAIL_LIFETIME = timedelta(hours=1)


def _locale(user: User) -> str:
    return user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]


def _owner_other_than(email: str, user: User) -> User | None:
    """The other member who uses ``email`` already, if any."""
    return db.session.scalar(sa.select(User).where(User.email == email, User.id != user.id))


def _taken_by_another(email: str, user: User) -> bool:
    return _owner_other_than(email, user) is not None


def _sign_off() -> str:
    return _("— Serambi, the forum of the TPBIS village libraries")


# --- confirming an address -----------------------------------------------------------


def pending_confirmation(user: User) -> EmailConfirmation | None:
    """The address waiting to be confirmed (a new one, or the unconfirmed current one)."""
    row = db.session.scalar(
        sa.select(EmailConfirmation)
        .where(
            EmailConfirmation.user_id == user.id,
            EmailConfirmation.used_at.is_(None),
            EmailConfirmation.expires_at > utcnow(),
        )
        .order_by(EmailConfirmation.created_at.desc(), EmailConfirmation.id.desc())
        .limit(1)
    )
    if row is None or (row.email == user.email and user.email_confirmed_at is not None):
        return None
    return row


def start_confirmation(user: User, email: str, *, now=None) -> EmailMessage:
    """Make a 24-hour link confirming ``email`` as ``user``'s address; returns the mail.

    Earlier links of this member stop working. When another member uses the
    address, the mail says so (and how to reset a password) instead of carrying
    the link, and the stored token is one nobody ever sees.
    """
    now = now or utcnow()
    email = email.strip().lower()
    db.session.execute(
        sa.update(EmailConfirmation)
        .where(EmailConfirmation.user_id == user.id, EmailConfirmation.used_at.is_(None))
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        EmailConfirmation(
            user=user,
            email=email,
            token_hash=EmailConfirmation.digest(token),
            created_at=now,
            expires_at=now + CONFIRM_LINK_LIFETIME,
        )
    )
    owner = _owner_other_than(email, user)
    # The mail goes to whoever reads that address: its owner, when there is one.
    with force_locale(_locale(owner or user)):
        if owner is not None:
            subject = _("Serambi: this address already has an account")
            paragraphs = [
                _("Hello,"),
                _(
                    "Someone asked Serambi to use %(email)s for an account, but this address "
                    "already belongs to an account. Nothing was changed.",
                    email=email,
                ),
                _(
                    "If it is yours and you forgot the password, choose a new one here: %(url)s",
                    url=external_url("auth.forgot"),
                ),
                _("If you did not ask for this, you can ignore this message."),
                _sign_off(),
            ]
        else:
            subject = _("Serambi: confirm your e-mail address")
            paragraphs = [
                _("Hello %(name)s,", name=user.display_name),
                _(
                    "Open this link to confirm %(email)s as the address of your Serambi "
                    "account (@%(username)s). It works once, within 24 hours:",
                    email=email,
                    username=user.username,
                ),
                external_url("auth.confirm", token=token),
                _("If you did not ask for this, you can ignore this message."),
                _sign_off(),
            ]
        return build_message(to=recipient("", email), subject=subject, paragraphs=paragraphs)


def change_notice(user: User, new_email: str) -> EmailMessage:
    """Tell the current address that a change to ``new_email`` was asked for."""
    with force_locale(_locale(user)):
        paragraphs = [
            _("Hello %(name)s,", name=user.display_name),
            _(
                "Someone logged in to your Serambi account (@%(username)s) with your password "
                "and asked to change its e-mail address to %(email)s. The change takes effect "
                "only when the link sent to that address is opened.",
                username=user.username,
                email=new_email,
            ),
            _(
                "If this was not you, change your password now (%(url)s) and tell a "
                "facilitator, for example at your next peer-learning meeting.",
                url=external_url("auth.password"),
            ),
            _sign_off(),
        ]
        return build_message(
            to=recipient(user.display_name, user.email),
            subject=_("Serambi: your e-mail address is being changed"),
            paragraphs=paragraphs,
        )


def request_email_change(user: User, new_email: str) -> list[EmailMessage]:
    """The member (who gave their password) asks for a new address: two mails."""
    return [start_confirmation(user, new_email), change_notice(user, new_email)]


def find_confirmation(token: str) -> EmailConfirmation | None:
    """The usable confirmation link for this token, or ``None``."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(
        sa.select(EmailConfirmation).where(
            EmailConfirmation.token_hash == EmailConfirmation.digest(token)
        )
    )
    return row if row is not None and row.is_usable else None


def confirm_email(token: str) -> User | None:
    """Open a confirmation link: the address becomes the member's, confirmed.

    ``None`` when the link is unknown, used, expired, or its address was taken
    by another member meanwhile. The caller commits.
    """
    row = find_confirmation(token)
    if row is None:
        return None
    user = row.user
    if _taken_by_another(row.email, user):
        return None
    claimed = db.session.execute(
        sa.update(EmailConfirmation)
        .where(EmailConfirmation.id == row.id, EmailConfirmation.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return None
    user.email = row.email
    user.email_confirmed_at = utcnow()
    return user


def sent_message(sent: bool, address: str) -> tuple[str, str]:
    """What to tell the member after sending a confirmation link: (message, flash category)."""
    if sent:
        return (
            _(
                "We sent a confirmation link to %(email)s. Open it within 24 hours.",
                email=address,
            ),
            "info",
        )
    return _("The e-mail could not be sent just now. Please try again later."), "error"


def confirm_all_existing(*, now=None) -> int:
    """Mark every stored address confirmed (an operator who trusts their data, once)."""
    return db.session.execute(
        sa.update(User)
        .where(User.email_confirmed_at.is_(None), User.deleted_at.is_(None))
        .values(email_confirmed_at=now or utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount


# --- forgot password -----------------------------------------------------------------


def _account_for(identifier: str) -> User | None:
    """The member a "forgot password" answer names, by username or e-mail address."""
    identifier = (identifier or "").strip().lower()
    if not identifier or len(identifier) > 254:
        return None
    column = User.email if "@" in identifier else User.username
    return db.session.scalar(sa.select(User).where(column == identifier, User.deleted_at.is_(None)))


def _resets_by_mail_lately(user: User, now) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            PasswordResetToken.user_id == user.id,
            PasswordResetToken.created_by_id == user.id,
            PasswordResetToken.created_at > now - timedelta(hours=1),
        )
    )


def forgot_password(identifier: str, *, now=None) -> EmailMessage | None:
    """A reset link for the member named, if they may get one; else ``None``.

    Only to a confirmed address, never for a deleted or indefinitely suspended
    account, and at most ``FORGOT_MAILS_PER_ACCOUNT_PER_HOUR`` an hour. The
    link works once, for an hour; earlier unused links stop working. The page
    says the same thing whatever this returns. The caller commits.
    """
    now = now or utcnow()
    user = _account_for(identifier)
    if user is None or user.email_confirmed_at is None or user.suspended_indefinitely:
        return None
    if _resets_by_mail_lately(user, now) >= current_app.config["FORGOT_MAILS_PER_ACCOUNT_PER_HOUR"]:
        return None
    db.session.execute(
        sa.update(PasswordResetToken)
        .where(
            PasswordResetToken.user_id == user.id,
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > now,
        )
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        PasswordResetToken(
            user=user,
            token_hash=PasswordResetToken.digest(token),
            created_by=user,  # asked for by the member themselves
            created_at=now,
            expires_at=now + RESET_BY_MAIL_LIFETIME,
        )
    )
    with force_locale(_locale(user)):
        return build_message(
            to=recipient(user.display_name, user.email),
            subject=_("Serambi: choose a new password"),
            paragraphs=[
                _("Hello %(name)s,", name=user.display_name),
                _(
                    "Someone asked for a new password for your Serambi account "
                    "(@%(username)s). Open this link to choose one. It works once, "
                    "within an hour:",
                    username=user.username,
                ),
                external_url("auth.reset", token=token),
                _("If you did not ask for this, ignore this message: your password stays."),
                _sign_off(),
            ],
        )
