"""Home, thread lists, reading, writing, editing and withdrawing."""

from __future__ import annotations

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

from ..extensions import db
from ..forms import EmptyForm
from ..http import page_arg
from ..http import render_form
from ..markup import render_markdown
from ..models import THREAD_KINDS
from ..permissions import check
from ..permissions import why_not_edit
from ..regions import regions
from ..tags import normalize_tag
from . import bp
from . import service
from .forms import PostEditForm
from .forms import ReplyForm
from .forms import ThreadFields
from .forms import ThreadForm

MAX_ID = 2**31 - 1  # the database's integer range: larger ids are simply not found


def thread_url(thread, post=None, page=1):
    anchor = f"post-{post.id}" if post is not None else None
    params = {"page": page} if page > 1 else {}
    return url_for("threads.detail", thread_id=thread.id, _anchor=anchor, **params)


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
    threads = service.list_threads(
        current_user,
        kind=kind,
        tag=tag,
        region=region,
        sort=sort,
        page=page_arg(),
        per_page=current_app.config["THREADS_PER_PAGE"],
    )
    return render_template(
        "threads/index.html", threads=threads, kind=kind, tag=tag, region=region, sort=sort
    )


@bp.route("/threads/new", methods=["GET", "POST"])
@login_required
def new():
    form = ThreadForm()
    preview_html = None
    if form.validate_on_submit():
        if form.preview.data:
            preview_html = render_markdown(form.body.data)
        else:
            thread = service.create_thread(
                current_user, form.kind.data, form.title.data, form.body.data, form.tag_list
            )
            db.session.commit()
            return redirect(thread_url(thread))
    return render_form("threads/new.html", form, preview_html=preview_html)


@bp.route(f"/threads/<int(max={MAX_ID}):thread_id>")
def detail(thread_id: int):
    thread = service.load_thread(thread_id, current_user)
    replies = service.replies_page(
        thread, current_user, page_arg(), current_app.config["REPLIES_PER_PAGE"]
    )
    return render_template(
        "threads/detail.html",
        thread=thread,
        opening=thread.opening_post,
        replies=replies,
        reply_form=ReplyForm(),
        action_form=EmptyForm(),
    )


@bp.route(f"/threads/<int(max={MAX_ID}):thread_id>/replies", methods=["POST"])
@login_required
def reply(thread_id: int):
    thread = service.load_thread(thread_id, current_user)
    form = ReplyForm()
    if form.validate_on_submit():
        post = service.create_reply(current_user, thread, form.body.data)
        db.session.commit()
        page = service.page_of_reply(post, current_app.config["REPLIES_PER_PAGE"])
        return redirect(thread_url(thread, post, page))
    replies = service.replies_page(thread, current_user, 1, current_app.config["REPLIES_PER_PAGE"])
    return (
        render_template(
            "threads/detail.html",
            thread=thread,
            opening=thread.opening_post,
            replies=replies,
            reply_form=form,
            action_form=EmptyForm(),
        ),
        400,
    )


@bp.route(f"/threads/<int(max={MAX_ID}):thread_id>/edit", methods=["GET", "POST"])
@login_required
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
        }
    )
    preview_html = None
    if form.validate_on_submit():
        if form.preview.data:
            preview_html = render_markdown(form.body.data)
        else:
            service.edit_thread(
                current_user, thread, form.title.data, form.body.data, form.tag_list
            )
            db.session.commit()
            flash(_("Your changes are saved."), "success")
            return redirect(thread_url(thread))
    return render_form("threads/edit.html", form, thread=thread, preview_html=preview_html)


@bp.route(f"/posts/<int(max={MAX_ID}):post_id>/edit", methods=["GET", "POST"])
@login_required
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
        db.session.commit()
        flash(_("Your changes are saved."), "success")
        return redirect(thread_url(post.thread, post))
    return render_form("threads/edit_post.html", form, post=post)


@bp.route(f"/posts/<int(max={MAX_ID}):post_id>/history")
def history(post_id: int):
    post = service.load_post(post_id, current_user)
    return render_template("threads/history.html", post=post, revisions=service.history(post))


@bp.route(f"/posts/<int(max={MAX_ID}):post_id>/withdraw", methods=["POST"])
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
