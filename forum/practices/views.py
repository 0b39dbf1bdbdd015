"""Verified practices and the book of good practices ("Kumpulan Praktik Baik").

``POST /threads/<id>/verify`` and ``/unverify`` (facilitators), ``GET
/practices/verified`` (anyone), ``GET /practices/compilation`` (facilitators:
``region``, ``from``, ``to``, ``verified=1``, ``format=pdf``); a large book is made
in the background and offered at ``/practices/compilations/<id>``.
"""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file
from flask import url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_required

from ..adoptions import service as adoptions
from ..extensions import db
from ..extensions import login_manager
from ..http import page_arg
from ..insight.figures import Region
from ..permissions import check
from ..permissions import default_region
from ..permissions import why_not_compile
from ..permissions import why_not_see_figures
from ..permissions import why_not_verify
from ..threads import service as threads
from ..urls import thread_url
from . import book
from . import compilation
from . import jobs
from . import service
from .compilation import Selection
from .forms import CompilationForm
from .forms import VerifyForm
from .models import Compilation

bp = Blueprint("practices", __name__)


def _practice(thread_id: int):
    """The practice a facilitator verifies: 404 unseen, 403 not a facilitator, 400 a challenge."""
    thread = threads.load_thread(thread_id, current_user)
    check(why_not_verify(current_user, thread))
    if thread.kind != "practice":
        abort(400, _("Only best practices can be verified."))
    return thread


@bp.route("/threads/<id:thread_id>/verify", methods=["GET", "POST"])
@login_required
def verify(thread_id: int):
    thread = _practice(thread_id)
    verification = thread.verification
    form = VerifyForm(data={"summary": verification.body if verification else ""})
    if form.validate_on_submit():
        if service.verify(current_user, thread, form.summary.data):
            db.session.commit()
        flash(_("The practice is marked verified."), "success")
        return redirect(thread_url(thread) + "#verification")
    status = 400 if request.method == "POST" else 200
    earlier = service.earlier_summaries(verification) if verification else []
    page = render_template("practices/verify.html", form=form, thread=thread, earlier=earlier)
    return page, status


@bp.route("/threads/<id:thread_id>/unverify", methods=["POST"])
@login_required
def unverify(thread_id: int):
    thread = _practice(thread_id)
    if service.unverify(current_user, thread):
        db.session.commit()
        flash(_("The practice is no longer marked verified."), "success")
    return redirect(thread_url(thread))


@bp.route("/practices/verified")
def verified():
    practices = service.verified_practices(current_user, page=page_arg())
    spreads = adoptions.spreads_of([thread.id for thread in practices.items], current_user)
    return render_template("practices/verified.html", practices=practices, spreads=spreads)


def _facilitators_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    check(why_not_compile(current_user))
    return None


def _selection(form: CompilationForm) -> Selection:
    """What the facilitator asked for, within their regions (their own region by default)."""
    form.region.data = form.region.data or default_region(current_user).param
    region = Region.parse(form.region.data)
    check(why_not_see_figures(current_user, region))
    return Selection(
        region,
        form.date_from.data,
        form.date_to.data,
        bool(form.verified.data),
        str(get_timezone()),
    )


@bp.route("/practices/compilation")
def compile_book():
    if (refused := _facilitators_only()) is not None:
        return refused
    form = CompilationForm(formdata=request.args if request.args else None)
    if not request.args:
        return render_template("practices/choose.html", form=form)
    if not form.validate():
        return render_template("practices/choose.html", form=form), 400
    selection, fmt = _selection(form), form.format.data or "html"
    practices, photos = compilation.count(selection)
    if compilation.in_background(fmt, practices, photos):
        return _in_background(selection, fmt, practices)
    if fmt == "html":
        return book.render_html(selection, compilation.chapters(selection), inline_photos=False)
    data = book.make(selection, fmt, inline_photos=False)
    return _download(data, fmt, book.filename(selection, fmt))


def _in_background(selection: Selection, fmt: str, practices: int):
    row, _new = jobs.request(current_user, selection, fmt, practices)
    db.session.commit()
    return redirect(url_for(".compilation_status", compilation_id=row.id))


def _download(data: bytes, fmt: str, name: str) -> Response:
    response = Response(data, mimetype=book.MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.cache_control.private = True
    return response


def _compilation(compilation_id: int) -> Compilation:
    """A requested book, for a facilitator whose regions cover it (as asking for it would)."""
    row = db.session.get(Compilation, compilation_id)
    if row is None:
        abort(404)
    check(why_not_see_figures(current_user, Region.parse(row.params.get("region"))))
    return row


@bp.route("/practices/compilations/<id:compilation_id>")
def compilation_status(compilation_id: int):
    if (refused := _facilitators_only()) is not None:
        return refused
    row = _compilation(compilation_id)
    stale = jobs.is_stale(row)
    return render_template("practices/status.html", row=row, stale=stale)


@bp.route("/practices/compilations/<id:compilation_id>/download")
def compilation_download(compilation_id: int):
    if (refused := _facilitators_only()) is not None:
        return refused
    row = _compilation(compilation_id)
    if not row.is_ready or not jobs.file_path(row).is_file():
        abort(404)
    selection = Selection.from_params(row.params, str(get_timezone()))
    name = book.filename(selection, row.format)
    return send_file(
        jobs.file_path(row),
        mimetype=book.MIMETYPES[row.format],
        as_attachment=True,
        download_name=name,
        max_age=0,
    )
