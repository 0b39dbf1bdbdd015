"""Where things live on the site: the URL builders every area uses, links that leave
the page (:func:`external_url`), and the way back."""

from __future__ import annotations

from flask import current_app
from flask import g
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


PLACEHOLDER_ID = 1_987_654_321  # within the id converter's range, unlike any real path part


def id_url(endpoint: str, key: str, value: int, **values) -> str:
    """``url_for(endpoint, key=value, **values)``, built once per request and endpoint.

    A thread page asks for the same few addresses per post with only the id
    changing: werkzeug builds each one once with a placeholder id, and every
    post's address is that string with its id put in.
    """
    patterns = g.setdefault("id_url_patterns", {})
    cache_key = (endpoint, key, *sorted(values.items()))
    parts = patterns.get(cache_key)
    if parts is None:
        url = url_for(endpoint, **{key: PLACEHOLDER_ID}, **values)
        parts = patterns[cache_key] = url.split(str(PLACEHOLDER_ID))
    if len(parts) != 2:  # the placeholder is not just the id: build it the long way
        return url_for(endpoint, **{key: value}, **values)
    return f"{parts[0]}{int(value)}{parts[1]}"


def profile_url(username: str) -> str:
    """A member's profile address, built once per request and member (posts repeat authors)."""
    urls = g.setdefault("profile_urls", {})
    if username not in urls:
        urls[username] = url_for("users.profile", username=username)
    return urls[username]


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
