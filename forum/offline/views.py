"""Install to the home screen, read saved threads and write with no signal.

Everything here serves the optional JavaScript in ``static/offline.js``: the
web app manifest, the service worker (from the site's root, so its scope is the
whole site), the offline page the worker shows for a page that is not saved,
and a small "who is logged in" answer the outbox asks before it sends.
"""

from __future__ import annotations

from flask import Blueprint
from flask import jsonify
from flask import make_response
from flask import render_template
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from . import service

bp = Blueprint("offline", __name__)


@bp.route("/manifest.webmanifest")
def manifest():
    response = jsonify(service.manifest())
    response.mimetype = "application/manifest+json"
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


@bp.route("/service-worker.js")
def service_worker():
    """Rendered with the current assets' names: a deploy changes its bytes, so phones update it."""
    body = render_template("offline/service-worker.js", **service.worker())
    response = make_response(body)
    response.mimetype = "text/javascript"
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/offline")
def page():
    return render_template("offline/offline.html")


@bp.route("/offline/session")
def session_state():
    """Who is logged in, and a fresh CSRF token: the outbox sends only for its own member."""
    member = current_user.id if current_user.is_authenticated else None
    response = jsonify(member=member, csrf=generate_csrf() if member else None)
    response.headers["Cache-Control"] = "no-store"
    return response
