"""Helpful, follow and bookmark buttons; the notification list and settings; bookmarks.

Every button is a POST form with a CSRF token that works without JavaScript and
redirects back to where it was pressed. Views are thin: load (404 for what the
viewer may not see), call the service (403 with its reason), commit, redirect.
"""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import g
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_required

from ..extensions import db
from ..forms import EmptyForm
from ..http import page_arg
from ..http import render_form
from ..http import safe_next
from ..limits import engagement_limit
from ..limits import mention_limit
from ..tags import normalize_tag
from ..threads import service as threads
from ..urls import back
from ..urls import post_url
from ..urls import thread_url
from . import reads
from . import service
from .forms import NotificationSettingsForm
from .mail import mail_configured
from .models import NOTIFICATION_KINDS
from .texts import KIND_LABELS
from .texts import describe
from .texts import library_endpoint

bp = Blueprint("engagement", __name__)


@bp.before_request
def remember_the_way_back() -> None:
    """A refused press (403, 429) links back to where it was pressed (forum/errors.py)."""
    if request.method == "POST":
        g.back_url = safe_next(request.form.get("next"), None)


def _require_button() -> None:
    """A button press must carry the CSRF token (and nothing else is needed)."""
    if not EmptyForm().validate_on_submit():
        abort(400)


# --- helpful ---------------------------------------------------------------------------


def _toggle_helpful(post):
    _require_button()
    marked = service.toggle_helpful(current_user, post)
    db.session.commit()
    flash(
        _("Marked as helpful. Thank you!") if marked else _("Your helpful mark is taken back."),
        "success",
    )
    return redirect(post_url(post))


@bp.route("/threads/<id:thread_id>/helpful", methods=["POST"])
@login_required
@engagement_limit
def thread_helpful(thread_id: int):
    thread = threads.load_thread(thread_id, current_user)
    return _toggle_helpful(thread.opening_post)


@bp.route("/posts/<id:post_id>/helpful", methods=["POST"])
@login_required
@engagement_limit
def post_helpful(post_id: int):
    return _toggle_helpful(threads.load_post(post_id, current_user))


# --- follows and bookmarks -------------------------------------------------------------


@bp.route("/threads/<id:thread_id>/follow", methods=["POST"])
@login_required
@engagement_limit
def follow_thread(thread_id: int):
    thread = threads.load_thread(thread_id, current_user)
    _require_button()
    if service.follow_thread(current_user, thread):
        db.session.commit()
        flash(_("You follow this thread: you will hear about new replies."), "success")
    return back(thread_url(thread))


@bp.route("/threads/<id:thread_id>/unfollow", methods=["POST"])
@login_required
@engagement_limit
def unfollow_thread(thread_id: int):
    thread = threads.load_thread(thread_id, current_user)
    _require_button()
    service.unfollow_thread(current_user, thread)
    db.session.commit()  # kept even when not following: replying later will not follow again
    flash(_("You no longer follow this thread."), "success")
    return back(thread_url(thread))


def _tag_name(name: str) -> str:
    tag = normalize_tag(name)
    if not tag:
        abort(404)
    return tag


@bp.route("/tags/<name>/follow", methods=["POST"])
@login_required
@engagement_limit
def follow_tag(name: str):
    tag = _tag_name(name)
    _require_button()
    service.follow_tag(current_user, tag)
    db.session.commit()
    flash(_("You follow #%(tag)s: you will hear about new threads with it.", tag=tag), "success")
    return back(url_for("threads.index", tag=tag))


@bp.route("/tags/<name>/unfollow", methods=["POST"])
@login_required
@engagement_limit
def unfollow_tag(name: str):
    tag = _tag_name(name)
    _require_button()
    if service.unfollow_tag(current_user, tag):
        db.session.commit()
        flash(_("You no longer follow #%(tag)s.", tag=tag), "success")
    return back(url_for("threads.index", tag=tag))


@bp.route("/threads/<id:thread_id>/bookmark", methods=["POST"])
@login_required
@engagement_limit
def bookmark(thread_id: int):
    thread = threads.load_thread(thread_id, current_user)
    _require_button()
    marked = service.toggle_bookmark(current_user, thread)
    db.session.commit()
    flash(_("Bookmarked.") if marked else _("The bookmark is removed."), "success")
    return back(thread_url(thread))


@bp.route("/mentions/suggest")
@mention_limit
def suggest_mentions():
    """Members to mention while typing ``@``: JSON for compose.js (members only)."""
    if not current_user.is_authenticated:
        abort(403)
    return jsonify(service.suggest_members(request.args.get("q", "")))


@bp.route("/bookmarks")
@login_required
def bookmarks():
    threads_page = service.bookmarks_page(
        current_user, page_arg(), current_app.config["THREADS_PER_PAGE"]
    )
    return render_template(
        "engagement/bookmarks.html",
        threads=threads_page,
        last_replies=threads.last_replies(threads_page.items),
        new_replies=reads.unread_counts(current_user, threads_page.items),
    )


# --- notifications ---------------------------------------------------------------------


@bp.route("/notifications")
@login_required
def notifications():
    page = service.notifications_page(
        current_user, page_arg(), current_app.config["NOTIFICATIONS_PER_PAGE"]
    )
    return render_template("engagement/notifications.html", notifications=page, describe=describe)


def _target_url(notification) -> str:
    if notification.thread_id is None:
        return url_for(library_endpoint(notification))
    if notification.post is not None and notification.kind != "new_thread":
        return post_url(notification.post)
    return thread_url(notification.thread)


@bp.route("/notifications/<id:notification_id>/read", methods=["POST"])
@login_required
def read(notification_id: int):
    """Mark one read; ``then=open`` goes on to what it is about, else back to the list."""
    notification = service.load_notification(notification_id, current_user)
    _require_button()
    if service.mark_read(current_user, notification):
        db.session.commit()
    if request.form.get("then") == "open":
        return redirect(_target_url(notification))
    return back(url_for("engagement.notifications"))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def read_all():
    _require_button()
    if service.mark_all_read(current_user):
        db.session.commit()
    flash(_("All notifications are marked read."), "success")
    return redirect(url_for("engagement.notifications"))


@bp.route("/settings/notifications", methods=["GET", "POST"])
@login_required
def settings():
    user = current_user._get_current_object()
    if request.method == "GET":
        form = NotificationSettingsForm(
            data=NotificationSettingsForm.initial(service.settings_for(user))
        )
    else:
        form = NotificationSettingsForm()
    if form.validate_on_submit():
        service.save_settings(user, form.choices())
        db.session.commit()
        flash(_("Your notification settings are saved."), "success")
        return redirect(url_for("engagement.settings"))
    return render_form(
        "engagement/settings.html",
        form,
        kinds=NOTIFICATION_KINDS,
        kind_labels=KIND_LABELS,
        tags=service.followed_tags(user),
        mail_configured=mail_configured(current_app),
    )
