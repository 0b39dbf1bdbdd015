"""The JSON API v1: /api/v1/... over the same services, rules and limits as the pages.

Reads work without a token (as a visitor) or with one (as its member); writes
need a ``write`` token (:mod:`forum.api.auth`). Errors are JSON (:mod:`forum.errors`).
"""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import g
from flask import jsonify
from flask import render_template
from flask import request
from flask_login import current_user

from ..engagement import service as engagement
from ..errors import json_error
from ..extensions import csrf
from ..extensions import db
from ..insight import service as insight
from ..insight.models import Meeting
from ..limits import api_engagement_limit
from ..limits import api_flagging_limit
from ..limits import api_posting_limit
from ..limits import search_limit
from ..moderation import service as moderation
from ..moderation.forms import FlagForm
from ..permissions import check
from ..permissions import why_not_edit
from ..permissions import why_not_flag
from ..refusals import Refusal
from ..search.forms import SearchForm
from ..search.hits import describe_notes
from ..search.hits import run_search
from ..sections import SECTION_NAMES
from ..threads import service as threads
from ..threads.forms import PostEditForm
from ..threads.forms import ReplyForm
from ..threads.forms import ThreadForm
from ..threads.forms import new_thread_fields
from ..urls import external_url
from ..users import service as users
from . import auth
from . import cursor
from . import openapi
from . import serialize
from .inputs import Invalid
from .inputs import json_object
from .inputs import validated

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookie authorizes the API: only a token does (forum/api/auth.py)
bp.before_request(auth.authenticate)


@bp.errorhandler(Invalid)
def _invalid(error: Invalid):
    return json_error(400, error.message, fields=error.fields)


@bp.errorhandler(cursor.BadCursor)
def _bad_cursor(_error):
    return json_error(400, fields={"cursor": [openapi.BAD_CURSOR]})


@bp.after_request
def _conditional(response):
    """Reads carry a strong ETag of their body; a matching ``If-None-Match`` gets a 304."""
    if request.method == "GET" and response.status_code == 200 and response.is_json:
        response.add_etag()
        response.headers["Cache-Control"] = "private, no-cache"
        response.vary.update(("Authorization", "Accept-Language"))
        response.make_conditional(request)
    return response


def _written(write):
    """Run a service write: commit, or roll back and answer a refusal as a field error."""
    try:
        result = write()
    except Refusal as refusal:
        db.session.rollback()
        raise Invalid({refusal.field: [refusal.reason]}) from None
    db.session.commit()
    return result


def _created(body: dict):
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = body["url"]
    return response


# --- threads and posts -----------------------------------------------------------------


@bp.get("/threads")
def list_threads():
    filters = threads.list_filters(request.args)
    sort = filters.pop("sort")
    rows, next_cursor = cursor.page(
        threads.filtered_threads(current_user, **filters),
        threads.list_keys(sort),
        request.args.get("cursor"),
        current_app.config["THREADS_PER_PAGE"],
    )
    return jsonify(
        threads=[serialize.thread_summary(thread) for thread in rows], next_cursor=next_cursor
    )


THREAD_FIELDS = ("kind", "title", "body", "tags", "client_key", *SECTION_NAMES)


@bp.post("/threads")
@auth.writes
@api_posting_limit
def create_thread():
    form = validated(ThreadForm, json_object(), THREAD_FIELDS)
    thread = _written(
        lambda: threads.create_thread(
            current_user, **new_thread_fields(form), client_key=form.client_key.data
        )
    )
    return _created(_thread(thread, None))


def _thread(thread, cursor_value):
    replies, next_cursor = cursor.page(
        threads.visible_replies(thread, current_user),
        threads.REPLY_KEYS,
        cursor_value,
        current_app.config["REPLIES_PER_PAGE"],
        descending=False,
    )
    you = engagement.engagement_state(current_user, thread) if g.api_token else None
    return serialize.thread_detail(thread, replies, next_cursor, you)


@bp.get("/threads/<id:thread_id>")
def thread(thread_id: int):
    found = threads.load_thread(thread_id, current_user)
    return jsonify(_thread(found, request.args.get("cursor")))


@bp.post("/threads/<id:thread_id>/replies")
@auth.writes
@api_posting_limit
def reply(thread_id: int):
    found = threads.load_thread(thread_id, current_user)
    form = validated(ReplyForm, json_object(), ("body", "client_key"))
    post = _written(
        lambda: threads.create_reply(
            current_user, found, form.body.data, client_key=form.client_key.data
        )
    )
    return _created(serialize.post(post))


@bp.get("/posts/<id:post_id>")
def post(post_id: int):
    return jsonify(serialize.post(threads.load_post(post_id, current_user)))


@bp.patch("/posts/<id:post_id>")
@auth.writes
@api_posting_limit
def edit_post(post_id: int):
    found = threads.load_post(post_id, current_user)
    check(why_not_edit(current_user, found))
    form = validated(PostEditForm, json_object(), ("body",))
    _written(lambda: threads.edit_post(current_user, found, form.body.data))
    return jsonify(serialize.post(found))


# --- helpful, follow, bookmark: idempotent ----------------------------------------------

MARKS = {
    "helpful": lambda user, thread, on: engagement.set_helpful(user, thread.opening_post, on),
    "follow": lambda user, thread, on: (
        engagement.follow_thread(user, thread) if on else engagement.unfollow_thread(user, thread)
    ),
    "bookmark": engagement.set_bookmark,
}


@bp.route(
    "/threads/<id:thread_id>/<any(helpful, follow, bookmark):mark>", methods=["PUT", "DELETE"]
)
@auth.writes
@api_engagement_limit
def set_mark(thread_id: int, mark: str):
    """PUT sets the mark, DELETE takes it away; either is safe to send again."""
    found = threads.load_thread(thread_id, current_user)
    MARKS[mark](current_user, found, request.method == "PUT")
    db.session.commit()
    return jsonify(thread_id=found.id, **engagement.engagement_state(current_user, found))


@bp.post("/posts/<id:post_id>/flags")
@auth.writes
@api_flagging_limit
def flag(post_id: int):
    found = threads.load_post(post_id, current_user)
    check(why_not_flag(current_user, found))
    form = validated(FlagForm, json_object(), ("reason", "note"), {"note": "details"})
    made = moderation.flag_post(current_user, found, form.reason.data, form.details.data)
    db.session.commit()
    response = jsonify(id=made.id, post_id=found.id, reason=made.reason)
    return response, 201


# --- search and the public lists ---------------------------------------------------------


@bp.get("/search")
@search_limit
def search():
    form = SearchForm()
    page = cursor.decode_page(request.args.get("cursor"))
    per_page = current_app.config["SEARCH_PER_PAGE"]
    exact = request.args.get("exact") == "1"
    found, hits = run_search(form, current_user, page=page, per_page=per_page, exact=exact)
    more = found is not None and page * per_page < found.total
    return jsonify(
        query=form.q.data or "",
        total=found.total if found else 0,
        hits=[serialize.search_hit(hit) for hit in hits],
        notes=describe_notes(found.notes) if found else [],
        next_cursor=cursor.encode_page(page + 1) if more else None,
    )


@bp.get("/tags")
def tags():
    return jsonify(
        tags=[
            {
                "name": name,
                "threads": count,
                "url": external_url("threads.index", tag=name),
                "feed": external_url("feeds.tag", tag=name),
            }
            for name, count in threads.tags_in_use(current_user)
        ]
    )


@bp.get("/regions")
def regions():
    return jsonify(regions=serialize.region_list())


@bp.get("/users/<username>")
def user(username: str):
    member = users.load_member(username.replace("\x00", ""))
    threads_count, replies_count = users.contribution_counts(member, current_user)
    helpful = engagement.helpful_received(member, current_user)
    return jsonify(serialize.profile(member, threads_count, replies_count, helpful))


@bp.get("/meetings")
def meetings():
    rows, next_cursor = cursor.page(
        insight.all_meetings(),
        (Meeting.starts_on, Meeting.id),
        request.args.get("cursor"),
        current_app.config["THREADS_PER_PAGE"],
    )
    return jsonify(meetings=[serialize.meeting(row) for row in rows], next_cursor=next_cursor)


# --- the description -------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(openapi.document())


@bp.get("/docs")
def docs():
    return render_template("api/docs.html", doc=openapi.document(), groups=openapi.groups())
