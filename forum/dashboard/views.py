"""The programme dashboard: figures, charts, exports and a printable region report.

Facilitators and admins only: visitors are sent to log in, other members get
403. Every route reads the same ``from``, ``to`` (YYYY-MM-DD, local days, both
included; default the last twelve months up to today) and ``region`` (a
kabupaten/kota slug, or ``provinsi-<slug>`` for a whole province).
"""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import abort
from flask import render_template
from flask import request
from flask import send_file
from flask import stream_with_context
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from ..database import read_from_replica
from ..extensions import login_manager
from ..i18n import local_today
from ..insight import charts
from ..insight import exports
from ..insight import figures
from ..insight import spread
from ..insight.forms import PeriodForm
from ..partners.figures import support_figures
from ..permissions import check
from ..permissions import default_region
from ..permissions import why_not_moderate
from ..permissions import why_not_see_figures
from ..regions import Region

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

# An SVG chart is its own document: its <style> is pygal's, and it runs no script.
CHART_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@bp.before_request
def facilitators_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    check(why_not_moderate(current_user))
    return None


# Figures and exports only read: from DATABASE_REPLICA_URL when set (after the
# check above, so who is asking is read from the primary).
bp.before_request(read_from_replica)


def read_period() -> tuple[PeriodForm, figures.Period | None]:
    """The period and region asked for, or the form with its errors (and no period)."""
    form = PeriodForm(formdata=request.args, viewer=current_user)
    if not form.validate():
        return form, None
    form.region.data = form.region.data or default_region(current_user).param
    region = Region.parse(form.region.data)
    check(why_not_see_figures(current_user, region))
    end = form.date_to.data or local_today()
    start = form.date_from.data or figures.default_start(end)
    if start > end:
        form.date_from.errors.append(_("The start of the period cannot be after its end."))
        return form, None
    if (end - start).days > figures.MAX_PERIOD_DAYS:  # however the period was given
        form.date_from.errors.append(_("Choose a period of at most ten years."))
        return form, None
    form.date_from.data, form.date_to.data = start, end
    period = figures.Period(start, end, region, str(get_timezone()))
    return form, period


def period_or_400() -> figures.Period:
    _form, period = read_period()
    if period is None:
        abort(400)
    return period


def _page(template: str):
    form, period = read_period()
    if period is None:
        return render_template(template, form=form, period=None), 400
    context = dict(
        form=form,
        period=period,
        params=period.params(),
        summary=figures.summary(period),
        tags=figures.top_tags(period),
        shares=figures.solved_by_region(period),
        quiet_days=figures.QUIET_AFTER_DAYS,
        unanswered=figures.unanswered_challenges(period),
        charts=[name for name in charts.RENDERERS if name != "adoptions"],
        spread=spread.spread(period),
        support=support_figures(period),
    )
    if template == "insight/report.html":
        context.update(
            meetings=figures.meetings_in(period),
            practices=spread.practices_in(period),
            today=local_today(),
        )
    return render_template(template, **context)


@bp.route("")
def index():
    return _page("insight/dashboard.html")


@bp.route("/report")
def report():
    return _page("insight/report.html")


@bp.route("/charts/<any(weekly, kinds, solved, tags, adoptions):name>.svg")
def chart(name: str):
    svg = charts.render(name, period_or_400())
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = CHART_POLICY
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


def _filename(period: figures.Period, name: str, extension: str) -> str:
    parts = ["serambi", name, period.start.isoformat(), period.end.isoformat()]
    if period.region.param:
        parts.append(period.region.param)
    return "-".join(parts) + "." + extension


@bp.route("/export.csv")
def export_csv():
    period = period_or_400()
    name = request.args.get("table", "figures")
    if name not in exports.TABLES:
        abort(400)
    header, rows = exports.table(name, period)
    stream = exports.csv_stream(header, rows, period.timezone)
    return Response(
        stream_with_context(stream),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(period, name, "csv")}"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/export.xlsx")
def export_xlsx():
    period = period_or_400()
    response = send_file(
        exports.xlsx_file(period, period.timezone),
        mimetype=exports.XLSX_MIMETYPE,
        as_attachment=True,
        download_name=_filename(period, "report", "xlsx"),
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
