"""/settings/tokens: a member's personal access tokens for the JSON API."""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_required

from ..extensions import db
from ..forms import EmptyForm
from ..http import render_form
from ..http import show_refusal
from ..refusals import Refusal
from ..urls import external_url
from . import service
from .forms import TokenForm

bp = Blueprint("tokens", __name__)


def _page(form, secret=None, created=None):
    return render_form(
        "tokens/index.html",
        form,
        tokens=service.active_tokens(current_user),
        secret=secret,
        created=created,
        api_docs=external_url("api.docs"),
    )


@bp.route("/settings/tokens", methods=["GET", "POST"])
@login_required
def index():
    """The list and the form; a new token's secret is shown on this response only."""
    form = TokenForm()
    if form.validate_on_submit():
        try:
            token, secret = service.create_token(current_user, form.name.data, form.scope.data)
        except Refusal as refusal:
            show_refusal(form, refusal)
            return _page(form)
        db.session.commit()
        return _page(TokenForm(formdata=None), secret=secret, created=token)
    return _page(form)


@bp.route("/settings/tokens/<id:token_id>/revoke", methods=["GET", "POST"])
@login_required
def revoke(token_id: int):
    """Ask first (GET), then revoke (POST): a program using the token stops at once."""
    token = service.own_token(current_user, token_id)
    if request.method == "GET":
        return render_template("tokens/revoke.html", token=token)
    if not EmptyForm().validate_on_submit():
        abort(400)
    service.revoke_token(token)
    db.session.commit()
    flash(_("The token “%(name)s” is revoked: it no longer works.", name=token.name), "success")
    return redirect(url_for("tokens.index"))
