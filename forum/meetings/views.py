"""Meetings: everyone reads them; facilitators record, correct and link threads to them."""

from __future__ import annotations

from flask import Blueprint
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
from ..i18n import local_today
from ..insight import service
from ..insight.forms import LinkThreadForm
from ..insight.forms import MeetingForm
from ..insight.forms import thread_number
from ..insight.models import LINK_RELATIONS
from ..markup import render_markdown
from ..partners import service as partners
from ..permissions import check
from ..permissions import why_not_edit_meeting
from ..permissions import why_not_moderate
from ..threads import service as threads
from ..threads.service import last_replies

bp = Blueprint("meetings", __name__, url_prefix="/meetings")

PER_PAGE = 20


def _details(form: MeetingForm) -> service.MeetingDetails:
    return service.MeetingDetails(
        title=form.title.data,
        kind=form.kind.data,
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        place=form.place.data,
        regency=form.region.data,
        participants=form.participants.data,
        speakers=form.speakers.data or "",
        summary=form.summary.data or "",
    )


def _post_summary(meeting, tags: list[str]) -> None:
    """The meeting's summary as a best-practice thread, linked to the meeting."""
    check(why_not_moderate(current_user))
    thread = threads.create_thread(
        current_user,
        "practice",
        service.summary_title(meeting),
        service.summary_body(meeting),
        tags,
    )
    service.link_summary_thread(current_user, meeting, thread)


@bp.route("")
def index():
    today = local_today()
    return render_template(
        "insight/meetings.html",
        upcoming=service.upcoming_meetings(today),
        past=service.past_meetings(today, page_arg(), PER_PAGE),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    check(why_not_moderate(current_user))
    form = MeetingForm(recorder=current_user)
    if form.validate_on_submit():
        meeting = service.create_meeting(current_user, _details(form))
        if form.post_summary.data:
            _post_summary(meeting, form.tag_list)
        db.session.commit()
        flash(_("The meeting is recorded."), "success")
        return redirect(url_for("meetings.detail", meeting_id=meeting.id))
    return render_form("insight/meeting_form.html", form, meeting=None, summary_thread=None)


def _render_detail(meeting, link_form, status=200):
    threads = service.linked_threads(meeting, current_user)
    groups = [
        (relation, [thread for thread, related in threads if related == relation])
        for relation in LINK_RELATIONS
    ]
    return (
        render_template(
            "insight/meeting.html",
            meeting=meeting,
            summary_html=render_markdown(meeting.summary),
            thread_groups=[(relation, group) for relation, group in groups if group],
            last_replies=last_replies([thread for thread, _related in threads]),
            link_form=link_form,
            commitments=partners.offers_at_meeting(meeting),
        ),
        status,
    )


@bp.route("/<id:meeting_id>")
def detail(meeting_id: int):
    meeting = service.load_meeting(meeting_id)
    return _render_detail(meeting, LinkThreadForm(formdata=None))


def _meeting_fields(meeting) -> dict:
    """What the edit form starts with: the meeting as recorded."""
    return {
        "title": meeting.title,
        "kind": meeting.kind,
        "starts_on": meeting.starts_on,
        "ends_on": meeting.ends_on,
        "place": meeting.place,
        "region": meeting.regency,
        "participants": meeting.participants,
        "speakers": meeting.speakers,
        "summary": meeting.summary,
    }


@bp.route("/<id:meeting_id>/edit", methods=["GET", "POST"])
@login_required
def edit(meeting_id: int):
    meeting = service.load_meeting(meeting_id)
    check(why_not_edit_meeting(current_user, meeting))
    fields = None if request.method == "POST" else _meeting_fields(meeting)
    form = MeetingForm(data=fields, recorder=current_user)
    summary_thread = service.summary_thread_id(meeting)
    if form.validate_on_submit() and not (form.post_summary.data and summary_thread):
        service.update_meeting(current_user, meeting, _details(form))
        if form.post_summary.data:
            _post_summary(meeting, form.tag_list)
        db.session.commit()
        flash(_("Your changes are saved."), "success")
        return redirect(url_for("meetings.detail", meeting_id=meeting.id))
    if form.post_summary.data and summary_thread:
        form.post_summary.errors.append(_("The summary of this meeting is already posted."))
    return render_form(
        "insight/meeting_form.html", form, meeting=meeting, summary_thread=summary_thread
    )


@bp.route("/<id:meeting_id>/threads", methods=["POST"])
@login_required
def link_thread(meeting_id: int):
    meeting = service.load_meeting(meeting_id)
    check(why_not_edit_meeting(current_user, meeting))
    form = LinkThreadForm()
    if form.validate_on_submit():
        try:
            service.link_thread(
                current_user, meeting, thread_number(form.thread_id.data), form.relation.data
            )
        except service.NotLinkable:
            form.thread_id.errors.append(_("There is no public thread with this number."))
        except service.AlreadyLinked:
            form.thread_id.errors.append(_("This thread is already linked to the meeting."))
        else:
            db.session.commit()
            flash(_("The thread is linked to the meeting."), "success")
            return redirect(url_for("meetings.detail", meeting_id=meeting.id, _anchor="threads"))
    return _render_detail(meeting, form, 400)
