"""Public profiles, the member's own settings and the language switch."""

from __future__ import annotations

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
from flask_babel import refresh
from flask_login import current_user
from flask_login import login_required
from flask_login import logout_user

from .. import libraries
from ..auth import recovery
from ..auth.service import LoginSlowedDown
from ..auth.service import check_current_password
from ..engagement import service as engagement
from ..extensions import db
from ..forms import EmptyForm
from ..http import client_address
from ..http import page_arg
from ..http import render_form
from ..http import render_slowed
from ..http import safe_next
from ..http import show_refusal
from ..i18n import LOCALE_COOKIE
from ..limits import email_send_limit
from ..limits import profile_limit
from ..mail import mail_configured
from ..mail import send
from ..permissions import is_moderator
from ..refusals import Refusal
from . import accounts
from . import service
from .forms import DeleteAccountForm
from .forms import LanguageForm
from .forms import ProfileForm

bp = Blueprint("users", __name__)


@bp.route("/users/<username>")
def profile(username: str):
    user = service.load_member(username)
    posts = service.contributions(
        user, current_user, page_arg(), current_app.config["PROFILE_ITEMS_PER_PAGE"]
    )
    threads_count, replies_count = service.contribution_counts(user, current_user)
    # A suspension is between the member and the facilitators.
    show_suspension = is_moderator(current_user) or (
        current_user.is_authenticated and current_user.id == user.id
    )
    return render_template(
        "users/profile.html",
        user=user,
        posts=posts,
        threads_count=threads_count,
        replies_count=replies_count,
        show_suspension=show_suspension,
        helpful_received=engagement.helpful_received(user, current_user),
    )


def _settings_context(user) -> dict:
    return {
        "join_notice": libraries.join_notice(user),
        "pending": recovery.pending_confirmation(user),
        "mail_configured": mail_configured(),
        "resend_form": EmptyForm(formdata=None),
    }


def _settings_page(form):
    offered = libraries.offered_libraries(form)
    return render_form("users/settings.html", form, offered=offered, **_settings_context(form.user))


def _profile_data(user) -> dict:
    """What the profile form shows before the member changes anything."""
    library = service.library_details_of(user)
    return {
        "display_name": user.display_name,
        "email": user.email,
        "timezone": user.timezone,
        "language": user.locale or "id",
        "library_name": library.name,
        "village": library.village,
        "district": library.district,
        "region": library.regency,
        "province": library.province,
    }


def _refuse_email_change(user, form):
    """The page to show when a new address may not be asked for, else None."""
    try:
        right = check_current_password(user, form.current_password.data, client_address())
    except LoginSlowedDown as slowed:
        return render_slowed(
            "users/settings.html",
            form,
            form.current_password,
            slowed.seconds,
            **_settings_context(user),
        )
    if not right:
        db.session.commit()  # the failure counts, in every worker
        form.current_password.errors.append(_("The current password is not right."))
        return _settings_page(form)
    if not mail_configured():
        form.email.errors.append(
            _("This forum cannot send e-mail: ask a facilitator to change your address.")
        )
        return _settings_page(form)
    return None


def _profile_saved(user, form, messages):
    refresh()
    flash(_("Your profile is saved."), "success")
    if libraries.join_notice(user):
        flash(libraries.join_notice(user), "info")
    if messages:
        # One answer whether or not another member uses the address (no lookup here).
        sent = all([send(message) for message in messages])
        flash(*recovery.sent_message(sent, form.email.data))
    response = redirect(url_for("users.settings"))
    response.set_cookie(LOCALE_COOKIE, user.locale or "id", max_age=365 * 86400, samesite="Lax")
    return response


@bp.route("/settings/profile", methods=["GET", "POST"])
@login_required
@profile_limit
def settings():
    user = current_user._get_current_object()
    form = ProfileForm(user=user, data=_profile_data(user) if request.method == "GET" else None)
    if not form.validate_on_submit():
        return _settings_page(form)
    messages = []
    if form.email_changes:
        refused = _refuse_email_change(user, form)
        if refused is not None:
            return refused
        messages = recovery.request_email_change(user, form.email.data)
    try:
        service.update_profile(
            user,
            display_name=form.display_name.data,
            timezone=form.timezone.data,
            locale=form.language.data,
            library=form.library_details(),
        )
    except Refusal as refusal:
        db.session.rollback()  # nor the confirmation link of an e-mail change
        show_refusal(form, refusal)
        return _settings_page(form)
    db.session.commit()
    return _profile_saved(user, form, messages)


@bp.route("/settings/email/resend", methods=["POST"])
@login_required
@email_send_limit
def resend_confirmation():
    """Send the waiting address's confirmation link again (a fresh one)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    pending = recovery.pending_confirmation(user)
    address = pending.email if pending is not None else user.email
    if user.email_confirmed_at is not None and pending is None:
        flash(_("Your e-mail address is already confirmed."), "info")
        return redirect(url_for("users.settings"))
    if not mail_configured():
        abort(404)
    message = recovery.start_confirmation(user, address)
    db.session.commit()
    flash(*recovery.sent_message(send(message), address))
    return redirect(url_for("users.settings"))


@bp.route("/settings/language", methods=["POST"])
def language():
    """The footer switch: remembered in a cookie, and in the profile when logged in."""
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    if current_user.is_authenticated:
        current_user.locale = form.lang.data
        db.session.commit()
    response = redirect(safe_next(request.form.get("next"), url_for("threads.home")))
    response.set_cookie(LOCALE_COOKIE, form.lang.data, max_age=365 * 86400, samesite="Lax")
    return response


@bp.route("/settings/account/export")
@login_required
def export_account():
    """The member's own data as a JSON download (UU 27/2022: the right to a copy)."""
    user = current_user._get_current_object()
    filename = f"serambi-{user.username}-{accounts.utcnow():%Y%m%d}.json"
    return current_app.response_class(
        accounts.export_json(user),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/settings/account/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            right = check_current_password(user, form.password.data, client_address())
        except LoginSlowedDown as slowed:
            return render_slowed("users/account_delete.html", form, form.password, slowed.seconds)
        if not right:
            db.session.commit()  # the failure counts, in every worker
            form.password.errors.append(_("The password is not right."))
        else:
            accounts.delete_account(user)
            db.session.commit()
            logout_user()
            session.clear()
            flash(_('Your account is deleted. Your posts stay, under "former member".'), "info")
            return redirect(url_for("threads.home"))
    return render_form("users/account_delete.html", form)


# --- joining a library that has members (forum/libraries.py) ------------------------------


@bp.route("/libraries/registered")
def libraries_in_region():
    """The libraries of a kabupaten/kota (``?regency=``) as JSON, offered while registering."""
    found = libraries.libraries_in(request.args.get("regency", "")[:60])
    return {
        "libraries": [
            {"name": lib.name, "village": lib.village, "district": lib.district} for lib in found
        ]
    }


@bp.route("/libraries/requests")
@login_required
def library_requests():
    """Requests to join the member's library (and, for a facilitator, their regions')."""
    waiting = libraries.requests_to_decide(current_user)
    return render_template("users/library_requests.html", waiting=waiting)


@bp.route("/libraries/requests/<id:request_id>/<any(confirm, decline):answer>", methods=["POST"])
@login_required
def answer_library_request(request_id: int, answer: str):
    """Confirm that a member belongs to the library, or decline; they are told."""
    join = libraries.load_request(request_id)
    if join is None or not EmptyForm().validate_on_submit():
        abort(404 if join is None else 400)
    libraries.decide(current_user, join, confirmed=answer == "confirm")
    db.session.commit()
    name, library = join.user.display_name, join.library.name
    if answer == "confirm":
        flash(_("%(name)s is now a member of %(library)s.", name=name, library=library), "success")
    else:
        flash(_("%(name)s was not added to %(library)s.", name=name, library=library), "info")
    return redirect(url_for("users.library_requests"))
