"""Facilitators' tools: pin, lock, hide, move, the flag queue, members, the log; members' flags.

Views are thin: load (404 for what the viewer may not see), ask the rule (403
with its reason), validate (the form again with 400), call the service, commit,
redirect. Visitors are sent to log in first.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_login import login_required

from ..attachments import service as attachments
from ..extensions import db
from ..forms import EmptyForm
from ..http import page_arg
from ..http import render_form
from ..limits import flagging_limit
from ..mail import mail_configured
from ..mail import send
from ..permissions import check
from ..permissions import why_not_decide_approval
from ..permissions import why_not_flag
from ..permissions import why_not_manage_member
from ..permissions import why_not_moderate
from ..permissions import why_not_moderate_thread
from ..permissions import why_not_set_role
from ..permissions import why_not_set_scope
from ..regions import Region
from ..threads import service as threads
from ..urls import back
from ..urls import external_url
from ..urls import post_url
from ..urls import thread_url
from . import approval
from . import service
from .forms import FlagForm
from .forms import HideForm
from .forms import LogFilterForm
from .forms import MoveForm
from .forms import RefuseForm
from .forms import ResolveForm
from .forms import RoleForm
from .forms import ScopeForm
from .forms import SuspendForm
from .models import Flag

bp = Blueprint("moderation", __name__)


def _button(thread_id: int, change, done_message: str):
    """A POST button on a thread (pin, lock, restore ...): no fields besides the token."""
    thread = threads.load_thread(thread_id, current_user)
    check(why_not_moderate_thread(current_user, thread))
    if not EmptyForm().validate_on_submit():
        abort(400)
    if change(current_user, thread):
        db.session.commit()
        flash(done_message, "success")
    return back(thread_url(thread))


# --- threads and posts -----------------------------------------------------------------


@bp.route("/mod/threads/<id:thread_id>/pin", methods=["POST"])
@login_required
def pin(thread_id: int):
    return _button(thread_id, service.pin, _("The thread is pinned."))


@bp.route("/mod/threads/<id:thread_id>/unpin", methods=["POST"])
@login_required
def unpin(thread_id: int):
    return _button(thread_id, service.unpin, _("The thread is no longer pinned."))


@bp.route("/mod/threads/<id:thread_id>/lock", methods=["POST"])
@login_required
def lock(thread_id: int):
    return _button(thread_id, service.lock, _("The thread is locked: no new replies."))


@bp.route("/mod/threads/<id:thread_id>/unlock", methods=["POST"])
@login_required
def unlock(thread_id: int):
    return _button(thread_id, service.unlock, _("The thread is open for replies again."))


@bp.route("/mod/threads/<id:thread_id>/restore", methods=["POST"])
@login_required
def restore_thread(thread_id: int):
    return _button(thread_id, service.restore_thread, _("The thread is visible again."))


def _hideable(kind: str, target_id: int):
    """What a hide form is about: the target, its thread and post, and where to go after."""
    if kind == "attachment":
        target = attachments.load(target_id, current_user)
        return target, target.post, post_url(target.post)
    if kind == "thread":
        target = threads.load_thread(target_id, current_user)
        return target, target.opening_post, thread_url(target)
    target = threads.load_post(target_id, current_user)
    return target, target, thread_url(target.thread, None if target.is_opening else target)


HIDE = {  # kind: (the service that hides it, what the facilitator is told)
    "thread": (service.hide_thread, _l("The thread is hidden. Its author sees your reason.")),
    "post": (service.hide_post, _l("It is hidden. Its author sees your reason.")),
    "attachment": (attachments.hide, _l("The file is hidden. Its author sees your reason.")),
}


@login_required
def hide(kind: str, target_id: int):
    """Hide a thread, a reply or a file, with the reason its author is shown."""
    target, post, after = _hideable(kind, target_id)
    check(why_not_moderate_thread(current_user, post.thread))
    form = HideForm()
    if form.validate_on_submit():
        hide_it, message = HIDE[kind]
        hide_it(current_user, target, form.reason.data)
        db.session.commit()
        flash(str(message), "success")
        return redirect(after)
    return render_form("moderation/hide.html", form, kind=kind, target=target, post=post)


def _hide_view(kind: str):
    def view(target_id: int):
        return hide(kind, target_id)

    view.__name__ = view.__qualname__ = f"hide_{kind}"
    return view


# One view, one page; an endpoint per kind (moderation.hide_thread, _post, _attachment).
for _kind, _rule in (
    ("thread", "/mod/threads/<id:target_id>/hide"),
    ("post", "/mod/posts/<id:target_id>/hide"),
    ("attachment", "/attachments/<id:target_id>/hide"),
):
    bp.add_url_rule(_rule, f"hide_{_kind}", _hide_view(_kind), methods=["GET", "POST"])


@bp.route("/mod/posts/<id:post_id>/restore", methods=["POST"])
@login_required
def restore_post(post_id: int):
    post = threads.load_post(post_id, current_user)
    check(why_not_moderate_thread(current_user, post.thread))
    if not EmptyForm().validate_on_submit():
        abort(400)
    if service.restore_post(current_user, post):
        db.session.commit()
        flash(_("It is visible again."), "success")
    return back(thread_url(post.thread, None if post.is_opening else post))


@bp.route("/mod/threads/<id:thread_id>/move", methods=["POST"])
@login_required
def move(thread_id: int):
    thread = threads.load_thread(thread_id, current_user)
    check(why_not_moderate_thread(current_user, thread))
    form = MoveForm()
    if form.validate_on_submit():
        if service.move_thread(current_user, thread, form.kind.data):
            db.session.commit()
            flash(_("The thread has been moved."), "success")
        return redirect(thread_url(thread))
    return render_form("moderation/move.html", form, thread=thread)


# --- flags -----------------------------------------------------------------------------


def _flag(post, thread):
    check(why_not_flag(current_user, post))
    form = FlagForm()
    if form.validate_on_submit():
        service.flag_post(current_user, post, form.reason.data, form.details.data)
        db.session.commit()
        flash(_("Thank you. A facilitator will look at it."), "success")
        return redirect(thread_url(thread, None if post.is_opening else post))
    if request.method == "GET" and service.has_flagged(current_user, post):
        flash(_("You have already flagged this; a facilitator will look at it."), "info")
        return redirect(thread_url(thread, None if post.is_opening else post))
    return render_form("moderation/flag.html", form, thread=thread, post=post)


@bp.route("/threads/<id:thread_id>/flag", methods=["GET", "POST"])
@login_required
@flagging_limit
def flag_thread(thread_id: int):
    thread = threads.load_thread(thread_id, current_user)
    return _flag(thread.opening_post, thread)


@bp.route("/posts/<id:post_id>/flag", methods=["GET", "POST"])
@login_required
@flagging_limit
def flag_post(post_id: int):
    post = threads.load_post(post_id, current_user)
    return _flag(post, post.thread)


@bp.route("/mod/flags")
@login_required
def flags():
    check(why_not_moderate(current_user))
    per_page = current_app.config["MODERATION_PER_PAGE"]
    posts, entries = service.flag_queue(current_user, page_arg(), per_page)
    return render_template("moderation/flags.html", posts=posts, entries=entries)


@bp.route("/mod/flags/<id:flag_id>/resolve", methods=["POST"])
@login_required
def resolve(flag_id: int):
    check(why_not_moderate(current_user))
    flag = db.get_or_404(Flag, flag_id)
    check(why_not_moderate_thread(current_user, flag.post.thread))
    form = ResolveForm()
    if form.validate_on_submit():
        closed = service.resolve_flags(current_user, flag, form.action.data, form.note.data)
        db.session.commit()
        if not closed:
            flash(_("These flags were already resolved."), "info")
        elif form.action.data == "edit":
            return redirect(edit_url(flag.post))
        else:
            flash(_("Resolved: the flags are closed."), "success")
        return redirect(url_for("moderation.flags"))
    return render_form("moderation/resolve.html", form, flag=flag, entry=service.queue_entry(flag))


def edit_url(post) -> str:
    if post.is_opening:
        return url_for("threads.edit", thread_id=post.thread_id)
    return url_for("threads.edit_post", post_id=post.id)


# --- members ---------------------------------------------------------------------------


def _member_or_404(username: str):
    member = service.find_member(username)
    if member is None:
        abort(404)
    return member


def _actor_today():
    return datetime.now(ZoneInfo(current_user.timezone)).date()


def _member_page(member, status: int = 200, **forms):
    forms.setdefault("suspend_form", SuspendForm(formdata=None))
    forms.setdefault("role_form", RoleForm(formdata=None, data={"role": member.role}))
    html = render_template(
        "moderation/member.html",
        member=member,
        manage_refusal=why_not_manage_member(current_user, member),
        role_refusal=why_not_set_role(current_user, member),
        regions=[Region.parse(scope.region) for scope in member.scopes],
        **forms,
    )
    return html, status


@bp.route("/mod/users/<username>")
@login_required
def member(username: str):
    """What facilitators can do for one member: suspend, reset link, role."""
    check(why_not_moderate(current_user))
    return _member_page(_member_or_404(username))


@bp.route("/mod/users/<username>/suspend", methods=["POST"])
@login_required
def suspend(username: str):
    member = _member_or_404(username)
    check(why_not_manage_member(current_user, member))
    form = SuspendForm(today=_actor_today())
    if form.validate_on_submit():
        service.suspend(
            current_user, member, form.until_day, form.reason.data, current_user.timezone
        )
        db.session.commit()
        flash(_("%(name)s is suspended.", name=member.display_name), "success")
        return redirect(url_for("moderation.member", username=member.username))
    return _member_page(member, 400, suspend_form=form)


@bp.route("/mod/users/<username>/unsuspend", methods=["POST"])
@login_required
def unsuspend(username: str):
    member = _member_or_404(username)
    check(why_not_manage_member(current_user, member))
    if not EmptyForm().validate_on_submit():
        abort(400)
    if service.unsuspend(current_user, member):
        db.session.commit()
        flash(_("%(name)s can post again.", name=member.display_name), "success")
    return redirect(url_for("moderation.member", username=member.username))


@bp.route("/mod/users/<username>/reset-link", methods=["POST"])
@login_required
def reset_link(username: str):
    """Show a one-time password-reset link, once; only its hash is kept."""
    member = _member_or_404(username)
    check(why_not_manage_member(current_user, member))
    if not EmptyForm().validate_on_submit():
        abort(400)
    token = service.issue_reset_link(current_user, member)
    db.session.commit()
    link = external_url("auth.reset", token=token)
    html = render_template("moderation/reset_link.html", member=member, link=link)
    return html, 200, {"Cache-Control": "no-store"}


@bp.route("/admin/users/<username>/role", methods=["POST"])
@login_required
def role(username: str):
    member = _member_or_404(username)
    check(why_not_set_role(current_user, member))
    form = RoleForm()
    if form.validate_on_submit():
        if service.set_role(current_user, member, form.role.data):
            db.session.commit()
            flash(_("%(name)s's role is changed.", name=member.display_name), "success")
        return redirect(url_for("moderation.member", username=member.username))
    return _member_page(member, 400, role_form=form)


@bp.route("/admin/users/<username>/scope", methods=["GET", "POST"])
@login_required
def scope(username: str):
    """The regions a facilitator looks after (admins only)."""
    member = _member_or_404(username)
    check(why_not_set_scope(current_user, member))
    current = "\n".join(scope.region for scope in member.scopes)
    form = ScopeForm(data={"scope": current})
    if form.validate_on_submit():
        if service.set_scope(current_user, member, form.regions):
            db.session.commit()
            flash(_("%(name)s's regions are changed.", name=member.display_name), "success")
        return redirect(url_for("moderation.member", username=member.username))
    return render_form("moderation/scope.html", form, member=member)


# --- new members vouched for (forum/moderation/approval.py) ---------------------------


@bp.route("/mod/pending")
@login_required
def pending():
    """Members waiting for approval in the facilitator's regions, the longest waiting first."""
    check(why_not_moderate(current_user))
    members = approval.pending_members(current_user)
    return render_template("moderation/pending.html", pending=members)


def _decided(member, message: str):
    """Commit a decision, tell the member by e-mail (when mail is set up), back to the queue."""
    db.session.commit()
    if mail_configured() and not send(approval.decision_mail(member)):
        flash(_("The e-mail to %(name)s could not be sent.", name=member.display_name), "info")
    flash(message, "success")
    return redirect(url_for("moderation.pending"))


@bp.route("/mod/users/<username>/approve", methods=["POST"])
@login_required
def approve(username: str):
    member = _member_or_404(username)
    check(why_not_decide_approval(current_user, member))
    if not EmptyForm().validate_on_submit():
        abort(400)
    approval.approve(current_user, member)
    return _decided(member, _("%(name)s is approved.", name=member.display_name))


@bp.route("/mod/users/<username>/refuse", methods=["POST"])
@login_required
def refuse(username: str):
    member = _member_or_404(username)
    check(why_not_decide_approval(current_user, member))
    form = RefuseForm()
    if form.validate_on_submit():
        approval.refuse(current_user, member, form.reason.data)
        return _decided(member, _("%(name)s is not approved.", name=member.display_name))
    return render_form("moderation/refuse.html", form, member=member)


# --- the log ---------------------------------------------------------------------------


@bp.route("/mod/log")
@login_required
def log():
    check(why_not_moderate(current_user))
    form = LogFilterForm()
    entries = service.log_page(
        actor=form.actor.data or None,
        action=form.action_filter,
        page=page_arg(),
        per_page=current_app.config["MODERATION_PER_PAGE"],
    )
    return render_template("moderation/log.html", form=form, entries=entries)
