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

from ..adoptions import service as adoptions
from ..attachments import service as attachments
from ..conditional import visitor_etag
from ..converters import MAX_ID
from ..engagement import reads
from ..engagement import service as engagement
from ..extensions import db
from ..extensions import limiter
from ..forms import EmptyForm
from ..http import page_arg
from ..http import render_form
from ..http import show_refusal
from ..insight import service as insight
from ..limits import posting_limit
from ..limits import similar_limit
from ..models import Post
from ..moderation.service import awaits_edit
from ..moderation.service import flagged_post_ids
from ..partners import service as partners
from ..permissions import can_moderate_thread
from ..permissions import can_read_redacted
from ..permissions import check
from ..permissions import member_place
from ..permissions import why_not_edit
from ..permissions import why_not_reply
from ..permissions import why_not_solve
from ..permissions import why_not_withdraw
from ..refusals import Refusal
from ..search.similar import similar_threads
from ..search.similar import similar_to_thread
from ..sections import SECTION_NAMES
from ..sections import SECTIONS
from ..stored_html import preview
from ..urls import post_url
from ..urls import thread_url
from . import drafts
from . import service
from .forms import PostEditForm
from .forms import ReplyForm
from .forms import SolveForm
from .forms import ThreadEditForm
from .forms import ThreadForm
from .forms import new_thread_fields
from .forms import section_data
from .share import thread_share

bp = Blueprint("threads", __name__)
SIMILAR_MIN_CHARS = 5  # the title's minimum length
HISTORY_PER_PAGE = 10  # earlier versions per page of a post's history


def offers_redaction(post) -> bool:
    """A facilitator editing a flagged post is offered to redact the versions before it."""
    return can_moderate_thread(current_user, post.thread) and awaits_edit(post)


@bp.route("/")
@visitor_etag
def home():
    # A member's region first; each thread in one list only ("All threads" has the rest).
    place = member_place(current_user) if current_user.is_authenticated else (None, None)
    lists = service.home_lists(current_user, place)
    return render_template(
        "threads/home.html",
        place=place,
        **lists,
        **_list_extras([*lists["near"], *lists["practices"], *lists["challenges"]]),
    )


def _list_extras(threads) -> dict:
    """What a list shows beside each thread: its newest reply, and what is new to the member."""
    return {
        "last_replies": service.last_replies(threads),
        "new_replies": reads.unread_counts(current_user, threads),
    }


@bp.route("/threads")
@visitor_etag
def index():
    filters = service.list_filters(request.args)
    threads = service.list_threads(
        current_user, **filters, page=page_arg(), per_page=current_app.config["THREADS_PER_PAGE"]
    )
    following_tag = bool(filters["tag"]) and engagement.follows_tag(current_user, filters["tag"])
    return render_template(
        "threads/index.html",
        threads=threads,
        **_list_extras(threads.items),
        sections=SECTIONS,
        following_tag=following_tag,
        **filters,
    )


@bp.route("/threads/needs-help")
def needs_help():
    threads = service.needs_help(
        current_user, page=page_arg(), per_page=current_app.config["THREADS_PER_PAGE"]
    )
    return render_template(
        "threads/needs_help.html",
        threads=threads,
        **_list_extras(threads.items),
    )


def _keep_draft(thread, back_to: str):
    """The form's "Save draft" button: keep what was typed, come back to the form."""
    drafts.save_draft(current_user, request.form, thread=thread)
    db.session.commit()
    flash(_("Your draft is saved. It will be here when you come back."), "success")
    return redirect(back_to)


def _written(write):
    """Run a service write; a refusal (a file) is undone and shown on the form."""
    try:
        result = write()
    except Refusal as refusal:
        db.session.rollback()  # nothing of the post is kept, nor any file
        return None, refusal
    db.session.commit()
    return result, None


def _post_thread(form):
    thread = service.create_thread(
        current_user,
        **new_thread_fields(form),
        files=form.prepared_files,
        discard_draft=True,
        client_key=form.client_key.data,
    )
    partners.set_needs(current_user, thread, form.needs.data, form.needs_description.data)
    return thread


@bp.route("/threads/new", methods=["GET", "POST"])
@login_required
@posting_limit
def new():
    draft = drafts.find_draft(current_user) if request.method == "GET" else None
    form = ThreadForm(data=draft.data if draft else None)
    if form.is_submitted() and form.save_draft.data:  # CSRF is checked for every POST
        return _keep_draft(None, url_for("threads.new"))
    if form.validate_on_submit() and not form.preview.data:
        thread, refusal = _written(lambda: _post_thread(form))
        if refusal is None:
            flash(_("Your thread is posted. Share it with the buttons under it."), "success")
            return redirect(thread_url(thread))
        show_refusal(form, refusal)
    shown = similar = None
    if form.preview.data and not form.errors:
        shown = preview(form.body.data, form.kind.data, section_data(form))
        similar = similar_threads(f"{form.title.data} {form.body.data}", current_user)
    return render_form("threads/new.html", form, preview=shown, similar=similar, draft=draft)


@bp.route("/threads/new/similar")
@similar_limit
def similar_to_title():
    """Threads like the title being typed: an HTML fragment for the new-thread form."""
    title = (request.args.get("title") or "").strip()[:200]
    threads = similar_threads(title, current_user) if len(title) >= SIMILAR_MIN_CHARS else []
    return render_template("threads/_similar.html", similar=threads)


def render_detail(thread, *, page: int = 1, reply_form=None, solve_error=None, reading=False):
    """The thread page: opening post, the accepted answer first, then a page of replies.

    ``reading`` (a member's GET): the posts past their read position are marked
    new, and the position moves forward after the page is sent.
    """
    opening = thread.opening_post
    replies = service.replies_page(
        thread, current_user, page, current_app.config["REPLIES_PER_PAGE"]
    )
    accepted = service.accepted_answer(thread, current_user)
    if reply_form is None and current_user.is_authenticated:  # visitors get a login link
        draft = drafts.find_draft(current_user, thread)
        reply_form = ReplyForm(data=draft.data if draft else None)
    shown_ids = [opening.id, *(post.id for post in replies.items)]
    shown = [post for post in (opening, accepted, *replies.items) if post is not None]
    # The member's follow, bookmark and read position in one statement, the marks in another.
    state = engagement.thread_engagement(current_user, thread, shown)
    read_up_to = (
        reads.remember_reading(current_user, thread, shown_ids, state.read_position)
        if reading
        else None
    )
    panel = adoptions.thread_panel(thread, current_user)
    files_of = {post.id: attachments.shown(post, current_user) for post in shown}
    files_of.update(
        {a.post.id: attachments.shown(a.post, current_user) for a in panel.adoptions if a.post}
    )
    return render_template(
        "threads/detail.html",
        thread=thread,
        opening=opening,
        replies=replies,
        accepted=accepted,
        engagement=state,
        meetings=insight.meetings_of_thread(thread.id),
        files_of=files_of,
        panel=panel,
        support=partners.thread_support(thread),
        flagged_ids=flagged_post_ids(current_user, shown_ids),
        reply_form=reply_form,
        similar=similar_to_thread(thread, current_user),
        share=thread_share(thread, opening),
        solve_error=solve_error,
        read_up_to=read_up_to,
    )


@bp.route("/threads/<id:thread_id>")
@visitor_etag
def detail(thread_id: int):
    thread = service.load_thread(thread_id, current_user)
    return render_detail(thread, page=page_arg(), reading=True)


@bp.route("/threads/<id:thread_id>/unread")
def unread(thread_id: int):
    """The first reply the member has not read yet (the top when they never opened it)."""
    thread = service.load_thread(thread_id, current_user)
    post = reads.first_unread(current_user, thread)
    return redirect(post_url(post) if post is not None else thread_url(thread))


def _quote_arg(thread) -> str:
    """The quote ``?quote=<post id>`` asks for ("" when none); 400 for a malformed id."""
    quote_id = request.args.get("quote", "")
    if not quote_id:
        return ""
    if not quote_id.isdigit() or not 0 < int(quote_id) <= MAX_ID:
        abort(400)
    return service.quote(thread, int(quote_id), post_url)


@bp.route("/threads/<id:thread_id>/replies", methods=["GET"])
@login_required
def reply_form(thread_id: int):
    """The reply form on its own page; ``?quote=<post id>`` starts it quoting that post,
    after what the member's draft of a reply holds."""
    thread = service.load_thread(thread_id, current_user)
    check(why_not_reply(current_user, thread))
    quoted = _quote_arg(thread)
    draft = drafts.find_draft(current_user, thread)
    body = (draft.data.get("body") or "").rstrip() if draft else ""
    form = ReplyForm(body=f"{body}\n\n{quoted}" if body else quoted)
    return render_template("threads/reply.html", thread=thread, reply_form=form, quoted=quoted)


def _post_reply(thread, form):
    return service.create_reply(
        current_user,
        thread,
        form.body.data,
        files=form.prepared_files,
        discard_draft=True,
        client_key=form.client_key.data,
    )


@bp.route("/threads/<id:thread_id>/replies", methods=["POST"])
@login_required
@posting_limit
def reply(thread_id: int):
    thread = service.load_thread(thread_id, current_user)
    form = ReplyForm()
    if form.save_draft.data:  # CSRF is checked for every POST
        return _keep_draft(thread, thread_url(thread, page=page_arg()) + "#reply-heading")
    if form.validate_on_submit():
        post, refusal = _written(lambda: _post_reply(thread, form))
        if refusal is None:
            page = service.page_of_reply(post, current_app.config["REPLIES_PER_PAGE"])
            flash(_("Your reply is posted."), "success")
            return redirect(thread_url(thread, post, page))
        show_refusal(form, refusal)
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


def _thread_fields(thread) -> dict:
    """What the edit form starts with: the thread as it is."""
    return {
        "title": thread.title,
        "body": thread.opening_post.body,
        "tags": ", ".join(t.name for t in thread.tags),
        **{name: getattr(thread, name) for name in SECTION_NAMES},
        **partners.needs_fields(thread),
    }


def _save_thread(thread, form, redact_earlier: bool):
    changed = service.edit_thread(
        current_user,
        thread,
        form.title.data,
        form.body.data,
        form.tag_list,
        sections=section_data(form),
        files=form.prepared_files,
        redact_earlier=redact_earlier,
    )
    needs = partners.set_needs(current_user, thread, form.needs.data, form.needs_description.data)
    return changed or needs


@bp.route("/threads/<id:thread_id>/edit", methods=["GET", "POST"])
@login_required
@posting_limit
def edit(thread_id: int):
    thread = service.load_thread(thread_id, current_user)
    check(why_not_edit(current_user, thread.opening_post))
    form = ThreadEditForm(data=None if request.method == "POST" else _thread_fields(thread))
    offer_redaction = offers_redaction(thread.opening_post)
    if form.validate_on_submit() and not form.preview.data:
        redact_earlier = offer_redaction and form.redact_earlier.data
        _changed, refusal = _written(lambda: _save_thread(thread, form, redact_earlier))
        if refusal is None:
            flash(_("Your changes are saved."), "success")
            return redirect(thread_url(thread))
        show_refusal(form, refusal)
    shown = None
    if form.preview.data and not form.errors:
        shown = preview(form.body.data, thread.kind, section_data(form))
    return render_form(
        "threads/edit.html",
        form,
        thread=thread,
        preview=shown,
        existing_files=list(thread.opening_post.attachments),
        offer_redaction=offer_redaction,
    )


def _save_post(post, form, redact_earlier: bool):
    return service.edit_post(
        current_user,
        post,
        form.body.data,
        files=form.prepared_files,
        redact_earlier=redact_earlier,
    )


@bp.route("/posts/<id:post_id>/edit", methods=["GET", "POST"])
@login_required
@posting_limit
def edit_post(post_id: int):
    post = service.load_post(post_id, current_user)
    if post.is_opening and request.method == "GET":
        # The opening post is the thread's body: edit it with its title and tags.
        return redirect(url_for("threads.edit", thread_id=post.thread_id))
    check(why_not_edit(current_user, post))
    form = PostEditForm(data=None if request.method == "POST" else {"body": post.body})
    offer_redaction = offers_redaction(post)
    if form.validate_on_submit():
        redact_earlier = offer_redaction and form.redact_earlier.data
        _changed, refusal = _written(lambda: _save_post(post, form, redact_earlier))
        if refusal is None:
            flash(_("Your changes are saved."), "success")
            return redirect(thread_url(post.thread, post))
        show_refusal(form, refusal)
    return render_form(
        "threads/edit_post.html",
        form,
        post=post,
        existing_files=list(post.attachments),
        offer_redaction=offer_redaction,
    )


@bp.route("/posts/<id:post_id>/history")
def history(post_id: int):
    """The current version, then a page of earlier ones (redacted ones as a notice)."""
    post = service.load_post(post_id, current_user)
    page = page_arg()
    versions = service.history_page(post, page, HISTORY_PER_PAGE)
    if page > 1 and not versions.items:
        abort(404)  # past the last page
    return render_template(
        "threads/history.html",
        post=post,
        versions=versions,
        read_redacted=can_read_redacted(current_user),
        action_form=EmptyForm(),
    )


def _history_url(post, page: int) -> str:
    params = {"page": page} if page > 1 else {}
    return url_for("threads.history", post_id=post.id, **params)


@bp.route("/posts/<id:post_id>/history/<id:revision_id>/redact", methods=["POST"])
@login_required
def redact(post_id: int, revision_id: int):
    """Redact one earlier version: facilitators, and the post's author."""
    post = service.load_post(post_id, current_user)
    revision = service.load_revision(post, revision_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if service.redact(current_user, revision):
        db.session.commit()
        flash(_("That version is redacted: only facilitators can still read it."), "success")
    return redirect(_history_url(post, page_arg()))


@bp.route("/posts/<id:post_id>/history/<id:revision_id>/unredact", methods=["POST"])
@login_required
def unredact(post_id: int, revision_id: int):
    """Show a redacted version to everyone again (facilitators only)."""
    post = service.load_post(post_id, current_user)
    revision = service.load_revision(post, revision_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if service.unredact(current_user, revision):
        db.session.commit()
        flash(_("That version is shown to everyone again."), "success")
    return redirect(_history_url(post, page_arg()))


@bp.route("/posts/<id:post_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(post_id: int):
    """Ask first (GET), then withdraw (POST): a withdrawal cannot be undone by its author."""
    post = service.load_post(post_id, current_user)
    if request.method == "GET":
        check(why_not_withdraw(current_user, post))  # a withdrawn post is already a 404
        return render_template(
            "threads/withdraw.html", post=post, thread=post.thread, back=post_url(post)
        )
    if not EmptyForm().validate_on_submit():
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
    drafts.save_draft(current_user, request.form, thread=thread)
    db.session.commit()
    return "", 204
