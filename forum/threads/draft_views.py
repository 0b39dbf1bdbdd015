"""A member's drafts: the list, discarding one, and the optional autosave."""

from __future__ import annotations

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
from ..extensions import limiter
from ..forms import EmptyForm
from . import bp
from . import drafts
from . import service
from .views import MAX_ID
from .views import REPLY_DRAFT_FIELDS
from .views import THREAD_DRAFT_FIELDS


@bp.route("/drafts")
@login_required
def drafts_list():
    return render_template(
        "threads/drafts.html", drafts=drafts.list_drafts(current_user), action_form=EmptyForm()
    )


@bp.route(f"/drafts/<int(max={MAX_ID}):draft_id>/delete", methods=["POST"])
@login_required
def delete_draft(draft_id: int):
    draft = drafts.own_draft(current_user, draft_id)
    if draft is None:
        abort(404)
    db.session.delete(draft)
    db.session.commit()
    flash(_("The draft is deleted."), "info")
    return redirect(url_for("threads.drafts_list"))


@bp.route("/drafts/autosave", methods=["POST"])
@login_required
@limiter.limit("20 per minute")
def autosave_draft():
    """Called by compose.js while a member types: 204, no page."""
    thread_id = request.args.get("thread", type=int)
    thread = None
    if thread_id is not None:
        if not 0 < thread_id <= MAX_ID:
            abort(404)
        thread = service.load_thread(thread_id, current_user)
    fields = THREAD_DRAFT_FIELDS if thread is None else REPLY_DRAFT_FIELDS
    drafts.save_draft(current_user, request.form, fields, thread)
    db.session.commit()
    return "", 204
