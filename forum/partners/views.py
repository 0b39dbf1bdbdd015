"""Partners' pages: the support board, offers on challenges and their answers, organisations.

The board is public (it lists public challenges only); partners offer, the
challenge's author or a facilitator answers, either side marks delivered;
administrators record partner organisations at ``/admin/partners``.
"""

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
from ..http import page_arg
from ..http import render_form
from ..limits import posting_limit
from ..permissions import check
from ..permissions import why_not_manage_partners
from ..permissions import why_not_offer
from ..regions import Region
from ..threads import service as threads
from ..urls import thread_url
from . import service
from .forms import AnswerForm
from .forms import BoardFilterForm
from .forms import OfferForm
from .forms import PartnerForm

bp = Blueprint("partners", __name__)


@bp.route("/support")
def board():
    form = BoardFilterForm(formdata=request.args)
    if not form.validate():
        return render_template("partners/board.html", form=form, entries=[], pagination=None), 400
    region = Region.parse(form.region.data)
    pagination, entries = service.board(region, form.kind.data or None, page_arg())
    return render_template(
        "partners/board.html",
        form=form,
        entries=entries,
        pagination=pagination,
        region=region,
        filters={k: v for k, v in (("region", region.param), ("kind", form.kind.data)) if v},
    )


def _offer_page(thread, form, status=200, support=None):
    support = support or service.thread_support(thread)
    return render_template(
        "partners/offer_form.html", thread=thread, form=form, support=support
    ), status


@bp.route("/threads/<id:thread_id>/offers/new")
@login_required
def new_offer(thread_id: int):
    thread = threads.load_thread(thread_id, current_user)
    check(why_not_offer(current_user, thread))
    support = service.thread_support(thread)
    first_open = support.open_kinds[0] if support.open_kinds else None
    form = OfferForm(data={"kind": first_open}, meetings=service.stakeholder_meetings())
    return _offer_page(thread, form, support=support)


@bp.route("/threads/<id:thread_id>/offers", methods=["POST"])
@login_required
@posting_limit
def make_offer(thread_id: int):
    thread = threads.load_thread(thread_id, current_user)
    check(why_not_offer(current_user, thread))
    form = OfferForm(meetings=service.stakeholder_meetings())
    if not form.validate_on_submit():
        return _offer_page(thread, form, 400)
    offer = service.make_offer(
        current_user, thread, form.kind.data, form.what.data, form.when.data, form.meeting_id
    )
    db.session.commit()
    flash(_("Your offer is sent. The library will answer it here."), "success")
    return redirect(thread_url(thread) + f"#offer-{offer.id}")


def _after(offer, message: str):
    db.session.commit()
    flash(message, "success")
    return redirect(thread_url(offer.thread) + f"#offer-{offer.id}")


def _not_open(offer):
    flash(_("This offer was already answered."), "info")
    return redirect(thread_url(offer.thread) + f"#offer-{offer.id}")


def _answer(offer_id: int, accept: bool):
    offer = service.load_offer(offer_id, current_user)
    form = AnswerForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        service.answer_offer(current_user, offer, accept, form.note.data or "")
    except service.OfferNotOpen:
        return _not_open(offer)
    if accept:
        return _after(offer, _("The offer is accepted. The partner is told."))
    return _after(offer, _("The offer is declined. The partner is told."))


@bp.route("/offers/<id:offer_id>/accept", methods=["POST"])
@login_required
def accept(offer_id: int):
    return _answer(offer_id, accept=True)


@bp.route("/offers/<id:offer_id>/decline", methods=["POST"])
@login_required
def decline(offer_id: int):
    return _answer(offer_id, accept=False)


@bp.route("/offers/<id:offer_id>/delivered", methods=["POST"])
@login_required
def delivered(offer_id: int):
    offer = service.load_offer(offer_id, current_user)
    if not AnswerForm().validate_on_submit():
        abort(400)
    try:
        service.mark_delivered(current_user, offer)
    except service.OfferNotOpen:
        flash(_("Only an accepted offer can be marked delivered."), "info")
        return redirect(thread_url(offer.thread) + f"#offer-{offer.id}")
    return _after(offer, _("Marked delivered. Thank you!"))


@bp.route("/admin/partners", methods=["GET", "POST"])
@login_required
def admin():
    check(why_not_manage_partners(current_user))
    form = PartnerForm()
    if form.validate_on_submit():
        try:
            partner = service.create_partner(
                current_user, form.name.data, form.kind.data, form.regions.data
            )
        except service.PartnerNameTaken:
            form.name.errors.append(_("A partner organisation with this name exists already."))
        else:
            db.session.commit()
            flash(_("%(name)s is recorded (number %(id)d).", name=partner.name, id=partner.id))
            return redirect(url_for("partners.admin"))
    return render_form(
        "partners/admin.html",
        form,
        listings=service.partners_with_members(),
    )
