"""Register, log in, log out, change password."""

from __future__ import annotations

from flask import flash
from flask import redirect
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_required
from flask_login import login_user
from flask_login import logout_user
from werkzeug.security import check_password_hash

from ..extensions import db
from ..forms import EmptyForm
from ..http import render_form
from ..http import safe_next
from . import bp
from .forms import LoginForm
from .forms import PasswordForm
from .forms import RegisterForm
from .service import authenticate
from .service import create_user
from .service import set_password


def _start_session(user, remember: bool) -> None:
    # A fresh session at login: nothing an attacker planted before survives.
    session.clear()
    login_user(user, remember=remember)


@bp.route("/register", methods=["GET", "POST"])
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
        )
        db.session.commit()
        _start_session(user, remember=False)
        flash(_("Welcome to Serambi, %(name)s!", name=user.display_name), "success")
        return redirect(url_for("threads.home"))
    return render_form("auth/register.html", form)


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.args.get("next"), url_for("threads.home"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
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
    return redirect(url_for("threads.home"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        if not check_password_hash(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append(_("The current password is not right."))
        else:
            user = current_user._get_current_object()
            set_password(user, form.password.data)
            db.session.commit()
            _start_session(user, remember=False)
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("users.profile", username=user.username))
    return render_form("auth/password.html", form)
