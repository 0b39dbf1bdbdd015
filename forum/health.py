"""GET /healthz: database, search index and outbox backlog, for a load balancer."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint
from flask import jsonify

from .extensions import db
from .extensions import search

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    """200 while the database answers (search may be degraded: it rebuilds itself); else 503."""
    report: dict = {"database": "ok"}
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        report["database"] = f"error: {type(error).__name__}"
    try:
        status = search.status(db.engine if report["database"] == "ok" else None)
        report["search"] = {
            "available": status["available"],
            "documents": status["documents"],
            "rebuilding": status["rebuilding"],
        }
        report["outbox_backlog"] = status.get("outbox_backlog")
    except Exception as error:  # noqa: BLE001 - health must answer whatever broke
        report["search"] = {"available": False, "error": type(error).__name__}
    healthy = report["database"] == "ok"
    report["status"] = "ok" if healthy and report["search"].get("available") else "degraded"
    response = jsonify(report)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if healthy else 503
