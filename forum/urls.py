"""Where things live on the site: the URL builders every area uses, links that leave
the page (:func:`external_url`), and the way back."""

from __future__ import annotations

from flask import current_app
from flask import has_request_context
from flask import redirect
from flask import request
from flask import url_for

from .http import safe_next
from .threads import service as threads


def thread_url(thread, post=None, page: int = 1) -> str:
    """A thread's page (``page`` of its replies), at ``post``'s anchor when given."""
    anchor = f"post-{post.id}" if post is not None else None
    params = {"page": page} if page > 1 else {}
    return url_for("threads.detail", thread_id=thread.id, _anchor=anchor, **params)


def post_url(post) -> str:
    """The post on its page of the thread, at its anchor."""
    if post.is_opening:
        return thread_url(post.thread) + f"#post-{post.id}"
    page = threads.page_of_reply(post, current_app.config["REPLIES_PER_PAGE"])
    return thread_url(post.thread, post, page)


def edit_url(post) -> str:
    """The opening post is edited with its thread's title and tags; a reply on its own."""
    if post.is_opening:
        return url_for("threads.edit", thread_id=post.thread_id)
    return url_for("threads.edit_post", post_id=post.id)


def back(default: str):
    """Redirect to the page a button was on (a local ``next``), else ``default``."""
    return redirect(safe_next(request.form.get("next"), default))


def external_url(endpoint: str, **values) -> str:
    """An absolute link for use outside the page (e-mails, reset links, exports, feeds).

    Built from ``SERAMBI_BASE_URL``, never from the request's Host header, which
    the sender of the request chooses. Needs a request context (the CLI makes one).
    """
    path = url_for(endpoint, **values)
    if has_request_context() and request.script_root:
        path = path.removeprefix(request.script_root)  # the base URL holds the prefix
    return current_app.config["BASE_URL"] + path
