"""Register, log in, log out, change password; forgot password, reset and confirm links."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_required
from flask_login import login_user
from flask_login import logout_user

from ..extensions import db
from ..forms import EmptyForm
from ..http import client_address
from ..http import render_form
from ..http import render_slowed
from ..http import safe_next
from ..libraries import join_notice
from ..libraries import offered_libraries
from ..limits import forgot_limit
from ..limits import login_account_limit
from ..limits import login_address_limit
from ..limits import registration_limit
from ..mail import mail_configured
from ..mail import send
from ..mail import send_later
from . import recovery
from .forms import ForgotPasswordForm
from .forms import LoginForm
from .forms import PasswordForm
from .forms import RegisterForm
from .forms import ResetPasswordForm
from .service import LoginSlowedDown
from .service import check_current_password
from .service import create_user
from .service import find_reset_token
from .service import log_in
from .service import reset_password
from .service import set_password

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _start_session(user, remember: bool) -> None:
    # A fresh session at login: nothing an attacker planted before survives.
    session.clear()
    login_user(user, remember=remember)


@bp.route("/register", methods=["GET", "POST"])
@registration_limit
def register():
    if current_user.is_authenticated:
        return redirect(url_for("threads.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        user = create_user(
            form.username.data,
            form.email.data,
            form.password.data,
            display_name=form.display_name.data,
            library=form.library_details(),
            waiting=current_app.config["REGISTRATION_APPROVAL"],
            ask_to_join=True,
        )
        confirmation = recovery.start_confirmation(user, user.email) if mail_configured() else None
        db.session.commit()
        _start_session(user, remember=False)
        flash(_("Welcome to Serambi, %(name)s!", name=user.display_name), "success")
        if join_notice(user):
            flash(join_notice(user), "info")
        if confirmation is not None:
            flash(*recovery.sent_message(send(confirmation), user.email))
        return redirect(url_for("threads.home"))
    return render_form("auth/register.html", form, offered=offered_libraries(form))


@bp.route("/login", methods=["GET", "POST"])
@login_address_limit
@login_account_limit
def login():
    next_url = safe_next(request.args.get("next"), url_for("threads.home"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = log_in(form.username.data, form.password.data, client_address())
        except LoginSlowedDown as slowed:
            form.password.errors.append(
                _(
                    "Too many failed attempts for this account. "
                    "Please wait %(seconds)d seconds and try again.",
                    seconds=slowed.seconds,
                )
            )
            body, _status = render_form("auth/login.html", form, next_url=next_url)
            return body, 429, {"Retry-After": str(slowed.seconds)}
        db.session.commit()  # the failure count, or its reset
        if user is not None:
            _start_session(user, remember=form.remember.data)
            flash(_("Welcome back, %(name)s.", name=user.display_name), "success")
            return redirect(next_url)
        form.password.errors.append(_("Wrong username or password."))
    return render_form("auth/login.html", form, next_url=next_url)


@bp.route("/logout", methods=["POST"])
def logout():
    form = EmptyForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        # A copied session or remember-me cookie stops working from here on.
        current_user.rotate_session_token()
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("You have logged out."), "info")
        response = redirect(url_for("threads.home"))
        # A shared phone: the threads saved offline and the outbox go with the member.
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
        return response
    return redirect(url_for("threads.home"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            right = check_current_password(user, form.current_password.data, client_address())
        except LoginSlowedDown as slowed:
            return render_slowed("auth/password.html", form, form.current_password, slowed.seconds)
        if not right:
            db.session.commit()  # the failure counts, in every worker
            form.current_password.errors.append(_("The current password is not right."))
        else:
            set_password(user, form.password.data)
            db.session.commit()
            _start_session(user, remember=False)
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("users.profile", username=user.username))
    return render_form("auth/password.html", form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    """Choose a new password from a one-time link a facilitator gave the member."""
    reset_link = find_reset_token(token)
    if reset_link is None:
        response = render_template("auth/reset_invalid.html")
        return response, 404, {"Referrer-Policy": "no-referrer"}
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user = reset_password(reset_link, form.password.data)
        if user is None:
            abort(404)
        db.session.commit()
        _start_session(user, remember=False)
        flash(
            _("Your new password is saved. Welcome back, %(name)s.", name=user.display_name),
            "success",
        )
        return redirect(url_for("threads.home"))
    body, status = render_form("auth/reset.html", form, member=reset_link.user)
    # The token is in the address: never send it on to another site.
    return body, status, {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


@bp.route("/forgot", methods=["GET", "POST"])
@forgot_limit
def forgot():
    """Ask for a reset link by e-mail; the answer is the same whoever is named."""
    if not mail_configured():
        return render_template("auth/forgot.html", form=None, sent=False)
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        message = recovery.forgot_password(form.identifier.data)
        db.session.commit()
        if message is not None:
            # In the background: neither the answer nor its timing says whether anyone
            # was found. A failure is logged.
            send_later(message)
        return render_template("auth/forgot.html", form=None, sent=True)
    body, status = render_form("auth/forgot.html", form, sent=False)
    return body, status, {"Cache-Control": "no-store"}


@bp.route("/confirm/<token>")
def confirm(token: str):
    """Open an e-mail confirmation link (no login needed: it may be opened on a phone)."""
    user = recovery.confirm_email(token)
    headers = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
    if user is not None:
        try:
            db.session.commit()
        except sa.exc.IntegrityError:  # another member took the address a moment ago
            user = None
    if user is None:
        db.session.rollback()
        return render_template("auth/confirm_invalid.html"), 404, headers
    return render_template("auth/confirmed.html", email=user.email), 200, headers
