"""Home, thread lists, reading, writing, editing, withdrawing and choosing the answer."""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_required

from ..attachments.service import attach_uploads
from ..converters import MAX_ID
from ..extensions import db
from ..extensions import limiter
from ..forms import EmptyForm
from ..http import page_arg
from ..http import render_form
from ..limits import posting_limit
from ..markup import render_markdown
from ..models import THREAD_KINDS
from ..models import Post
from ..moderation.service import flagged_post_ids
from ..permissions import check
from ..permissions import why_not_edit
from ..permissions import why_not_solve
from ..regions import regions
from ..search.service import similar_threads
from ..search.service import similar_to_thread
from ..sections import SECTION_NAMES
from ..sections import SECTIONS
from ..tags import normalize_tag
from ..urls import thread_url
from . import drafts
from . import service
from .forms import PostEditForm
from .forms import ReplyForm
from .forms import SolveForm
from .forms import ThreadFields
from .forms import ThreadForm
from .forms import section_data

bp = Blueprint("threads", __name__)
SIMILAR_MIN_CHARS = 5  # the title's minimum length
THREAD_DRAFT_FIELDS = ("kind", "title", "body", "tags", *SECTION_NAMES)
REPLY_DRAFT_FIELDS = ("body",)


@bp.route("/")
def home():
    per_page = current_app.config["THREADS_PER_PAGE"]
    practices = service.list_threads(current_user, kind="practice", per_page=5)
    challenges = service.list_threads(current_user, kind="challenge", per_page=5)
    latest = service.list_threads(current_user, per_page=per_page)
    return render_template(
        "threads/home.html", practices=practices, challenges=challenges, latest=latest
    )


@bp.route("/threads")
def index():
    kind = request.args.get("kind") or None
    if kind not in (None, *THREAD_KINDS):
        kind = None
    tag = normalize_tag(request.args.get("tag", "")) or None
    region = request.args.get("region") or None
    if region is not None and region not in regions().regencies:
        region = None
    sort = request.args.get("sort", "activity")
    if sort not in service.LIST_SORTS:
        sort = "activity"
    status = request.args.get("status") or None
    if status not in service.STATUSES:
        status = None
    section = request.args.get("section") or None
    if section not in SECTION_NAMES:
        section = None
    threads = service.list_threads(
        current_user,
        kind=kind,
        tag=tag,
        region=region,
        status=status,
        section=section,
        sort=sort,
        page=page_arg(),
        per_page=current_app.config["THREADS_PER_PAGE"],
    )
    return render_template(
        "threads/index.html",
        threads=threads,
        kind=kind,
        tag=tag,
        region=region,
        status=status,
        section=section,
        sort=sort,
        sections=SECTIONS,
    )


@bp.route("/threads/needs-help")
def needs_help():
    threads = service.needs_help(
        current_user, page=page_arg(), per_page=current_app.config["THREADS_PER_PAGE"]
    )
    return render_template("threads/needs_help.html", threads=threads)


@bp.route("/threads/new", methods=["GET", "POST"])
@login_required
@posting_limit
def new():
    draft = drafts.find_draft(current_user) if request.method == "GET" else None
    form = ThreadForm(data=draft.data if draft else None)
    if form.is_submitted() and form.save_draft.data:  # CSRF is checked for every POST
        drafts.save_draft(current_user, request.form, THREAD_DRAFT_FIELDS)
        db.session.commit()
        flash(_("Your draft is saved. It will be here when you come back."), "success")
        return redirect(url_for("threads.new"))
    preview_html = similar = None
    if form.validate_on_submit():
        if form.preview.data:
            preview_html = render_markdown(form.body.data)
            similar = similar_threads(f"{form.title.data} {form.body.data}", current_user)
        else:
            thread = service.create_thread(
                current_user,
                form.kind.data,
                form.title.data,
                form.body.data,
                form.tag_list,
                sections=section_data(form),
            )
            if attach_uploads(form, thread.posts[0], current_user):
                drafts.discard_draft(current_user)
                db.session.commit()
                return redirect(thread_url(thread))
            db.session.rollback()  # a refused file: nothing of the thread is kept
    return render_form(
        "threads/new.html", form, preview_html=preview_html, similar=similar, draft=draft
    )


@bp.route("/threads/new/similar")
def similar_to_title():
    """Threads like the title being typed: an HTML fragment for the new-thread form."""
    title = (request.args.get("title") or "").strip()[:200]
    threads = similar_threads(title, current_user) if len(title) >= SIMILAR_MIN_CHARS else []
    return render_template("threads/_similar.html", similar=threads)


def render_detail(thread, *, page: int = 1, reply_form=None, solve_error=None):
    """The thread page: opening post, the accepted answer first, then a page of replies."""
    opening = thread.opening_post
    replies = service.replies_page(
        thread, current_user, page, current_app.config["REPLIES_PER_PAGE"]
    )
    accepted = service.accepted_answer(thread, current_user)
    if reply_form is None:
        draft = drafts.find_draft(current_user, thread)
        reply_form = ReplyForm(data=draft.data if draft else None)
    shown_ids = [opening.id, *(post.id for post in replies.items)]
    return render_template(
        "threads/detail.html",
        thread=thread,
        opening=opening,
        replies=replies,
        accepted=accepted,
        flagged_ids=flagged_post_ids(current_user, shown_ids),
        reply_form=reply_form,
        similar=similar_to_thread(thread, f"{thread.title} {opening.body}", current_user),
        action_form=EmptyForm(),
        solve_error=solve_error,
    )


@bp.route("/threads/<id:thread_id>")
def detail(thread_id: int):
    thread = service.load_thread(thread_id, current_user)
    return render_detail(thread, page=page_arg())


@bp.route("/threads/<id:thread_id>/replies", methods=["POST"])
@login_required
@posting_limit
def reply(thread_id: int):
    thread = service.load_thread(thread_id, current_user)
    form = ReplyForm()
    if form.save_draft.data:  # CSRF is checked for every POST
        drafts.save_draft(current_user, request.form, REPLY_DRAFT_FIELDS, thread)
        db.session.commit()
        flash(_("Your draft is saved. It will be here when you come back."), "success")
        return redirect(thread_url(thread, page=page_arg()) + "#reply-heading")
    if form.validate_on_submit():
        post = service.create_reply(current_user, thread, form.body.data)
        if attach_uploads(form, post, current_user):
            drafts.discard_draft(current_user, thread)
            db.session.commit()
            page = service.page_of_reply(post, current_app.config["REPLIES_PER_PAGE"])
            return redirect(thread_url(thread, post, page))
        db.session.rollback()  # a refused file: the reply is not kept either
    return render_detail(thread, reply_form=form), 400


def _chosen_answer(post_id: str):
    """The post a solve form names; ``None`` clears; an unknown id is not an answer."""
    if not post_id:
        return None
    post = db.session.get(Post, int(post_id)) if int(post_id) <= MAX_ID else None
    if post is None:
        raise service.NotAnAnswer(post_id)
    return post


@bp.route("/threads/<id:thread_id>/solve", methods=["POST"])
@login_required
def solve(thread_id: int):
    """Choose, change or clear (empty ``post_id``) a challenge's accepted answer."""
    thread = service.load_thread(thread_id, current_user)
    check(why_not_solve(current_user, thread))
    form = SolveForm()
    if form.validate_on_submit():
        try:
            post = _chosen_answer(form.post_id.data)
            changed = service.solve(current_user, thread, post)
        except service.NotAnAnswer:
            error = _("Only a visible reply in this thread can be the accepted answer.")
        else:
            if changed:
                db.session.commit()
                if post is None:
                    flash(_("The accepted answer is cleared."), "success")
                else:
                    flash(_("The accepted answer is marked."), "success")
            return redirect(thread_url(thread))
    else:
        error = _("Only a visible reply in this thread can be the accepted answer.")
    return render_detail(thread, solve_error=error), 400


@bp.route("/threads/<id:thread_id>/edit", methods=["GET", "POST"])
@login_required
@posting_limit
def edit(thread_id: int):
    thread = service.load_thread(thread_id, current_user)
    opening = thread.opening_post
    check(why_not_edit(current_user, opening))
    form = ThreadFields(
        data=None
        if request.method == "POST"
        else {
            "title": thread.title,
            "body": opening.body,
            "tags": ", ".join(t.name for t in thread.tags),
            **{name: getattr(thread, name) for name in SECTION_NAMES},
        }
    )
    preview_html = None
    if form.validate_on_submit():
        if form.preview.data:
            preview_html = render_markdown(form.body.data)
        else:
            service.edit_thread(
                current_user,
                thread,
                form.title.data,
                form.body.data,
                form.tag_list,
                sections=section_data(form),
            )
            if attach_uploads(form, opening, current_user):
                db.session.commit()
                flash(_("Your changes are saved."), "success")
                return redirect(thread_url(thread))
            db.session.rollback()
    return render_form("threads/edit.html", form, thread=thread, preview_html=preview_html)


@bp.route("/posts/<id:post_id>/edit", methods=["GET", "POST"])
@login_required
@posting_limit
def edit_post(post_id: int):
    post = service.load_post(post_id, current_user)
    if post.is_opening:
        # The opening post is the thread's body: edit it with its title and tags.
        if request.method == "GET":
            return redirect(url_for("threads.edit", thread_id=post.thread_id))
    check(why_not_edit(current_user, post))
    form = PostEditForm(data=None if request.method == "POST" else {"body": post.body})
    if form.validate_on_submit():
        service.edit_post(current_user, post, form.body.data)
        if attach_uploads(form, post, current_user):
            db.session.commit()
            flash(_("Your changes are saved."), "success")
            return redirect(thread_url(post.thread, post))
        db.session.rollback()
    return render_form("threads/edit_post.html", form, post=post)


@bp.route("/posts/<id:post_id>/history")
def history(post_id: int):
    post = service.load_post(post_id, current_user)
    return render_template("threads/history.html", post=post, revisions=service.history(post))


@bp.route("/posts/<id:post_id>/withdraw", methods=["POST"])
@login_required
def withdraw(post_id: int):
    post = service.load_post(post_id, current_user)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    thread = service.withdraw_post(current_user, post)
    db.session.commit()
    if thread is not None:
        flash(_("Your thread has been withdrawn."), "info")
        return redirect(url_for("users.profile", username=current_user.username))
    flash(_("Your reply has been withdrawn."), "info")
    return redirect(thread_url(post.thread))


# A member's drafts: the list, discarding one, and the optional autosave.


@bp.route("/drafts")
@login_required
def drafts_list():
    return render_template(
        "threads/drafts.html", drafts=drafts.list_drafts(current_user), action_form=EmptyForm()
    )


@bp.route("/drafts/<id:draft_id>/delete", methods=["POST"])
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
