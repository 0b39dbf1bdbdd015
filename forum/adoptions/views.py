"""Adoptions ("Kami mencoba ini"), a library's page, and practices that solve challenges."""

from __future__ import annotations

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_required

from ..attachments import service as attachments
from ..extensions import db
from ..http import render_form
from ..http import show_refusal
from ..i18n import local_today
from ..limits import posting_limit
from ..permissions import check
from ..permissions import why_not_adopt
from ..permissions import why_not_link_practice
from ..permissions import why_not_solve
from ..refusals import Refusal
from ..threads import service as threads
from ..urls import thread_url
from . import service
from .forms import AdoptionForm
from .forms import PracticeLinkForm
from .forms import SolvedByForm

bp = Blueprint("adoptions", __name__)


def _form_data(adoption) -> dict:
    """The form starts from the library's record, so an update only changes what moved on."""
    if adoption is None:
        return {"started_on": local_today()}
    names = ("status", "started_on", "adapted", "result", "participants")
    return {name: getattr(adoption, name) for name in names}


def render_adoptions(practice, form=None):
    adoptions = service.adoptions_of(practice, current_user)
    own = service.own_adoption(current_user, practice)
    if form is None and current_user.is_authenticated:
        form = AdoptionForm(data=_form_data(own))
    return render_form(
        "adoptions/adoptions.html",
        form,
        practice=practice,
        adoptions=adoptions,
        spread=service.spread_of(adoptions),
        history=service.history_of(adoptions),
        own=own,
        files_of={a.post.id: attachments.shown(a.post, current_user) for a in adoptions if a.post},
    )


def _details(form) -> service.AdoptionDetails:
    return service.AdoptionDetails(
        status=form.status.data,
        started_on=form.started_on.data,
        adapted=form.adapted.data,
        result=form.result.data,
        participants=form.participants.data,
    )


@bp.route("/threads/<id:thread_id>/adoptions", methods=["GET"])
def adoptions(thread_id: int):
    return render_adoptions(service.load_practice(thread_id, current_user))


@bp.route("/threads/<id:thread_id>/adoptions", methods=["POST"])
@login_required
@posting_limit
def record(thread_id: int):
    practice = service.load_practice(thread_id, current_user)
    check(why_not_adopt(current_user, practice))
    form = AdoptionForm()
    if form.validate_on_submit():
        try:
            _adoption, created = service.record_adoption(
                current_user, practice, _details(form), files=form.prepared_files
            )
        except Refusal as refusal:
            db.session.rollback()
            show_refusal(form, refusal)
        else:
            db.session.commit()
            flash(
                _("Thank you! Your library's story is saved.") if created else _("Saved."),
                "success",
            )
            return redirect(url_for("adoptions.adoptions", thread_id=practice.id) + "#adoptions")
    return render_adoptions(practice, form)


@bp.route("/libraries/<id:library_id>")
def library(library_id: int):
    library = service.load_library(library_id)
    return render_template(
        "adoptions/library.html",
        library=library,
        members=service.members_of(library),
        taken_by=service.taken_by(library, current_user),
        taken_from=service.taken_from(library, current_user),
    )


def _challenge_form(challenge, form, endpoint: str, refusal=None):
    """The form again, with what was wrong: on a page of its own (400)."""
    if refusal is not None:
        show_refusal(form, refusal)
    labels = {
        "adoptions.link": _("Try this practice"),
        "adoptions.solved_by": _("Mark solved by this practice"),
    }
    return render_form(
        "adoptions/challenge_form.html",
        form,
        challenge=challenge,
        endpoint=endpoint,
        label=labels[endpoint],
    )


@bp.route("/threads/<id:thread_id>/practices", methods=["POST"])
@login_required
@posting_limit
def link(thread_id: int):
    """Link a practice that addresses the challenge ("coba praktik ini")."""
    challenge = service.load_challenge(thread_id, current_user)
    check(why_not_link_practice(current_user, challenge))
    form = PracticeLinkForm()
    if form.validate_on_submit():
        try:
            _link, created = service.link_practice(current_user, challenge, form.practice.data)
        except Refusal as refusal:
            return _challenge_form(challenge, form, "adoptions.link", refusal)
        db.session.commit()
        flash(
            _("The practice is linked.") if created else _("That practice was linked already."),
            "success",
        )
        return redirect(thread_url(challenge) + "#practices")
    return _challenge_form(challenge, form, "adoptions.link")


@bp.route("/threads/<id:thread_id>/solved-by", methods=["POST"])
@login_required
def solved_by(thread_id: int):
    """Mark the challenge solved by one of its linked practices, as an accepted answer would."""
    challenge = service.load_challenge(thread_id, current_user)
    check(why_not_solve(current_user, challenge))
    form = SolvedByForm()
    if form.validate_on_submit():
        try:
            practice = service.linked_practice(challenge, form.practice.data)
            threads.solve(current_user, challenge, None, practice=practice)
        except Refusal as refusal:
            db.session.rollback()
            return _challenge_form(challenge, form, "adoptions.solved_by", refusal)
        db.session.commit()
        flash(_("The challenge is marked solved by this practice."), "success")
        return redirect(thread_url(challenge))
    return _challenge_form(challenge, form, "adoptions.solved_by")
