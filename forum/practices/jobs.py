"""Compilations made in the background: a ``practices.compilation`` job (forum/jobs/).

A large book takes seconds to draw, so the request only records a
:class:`Compilation` row ("waiting") and, in the same transaction, its job; the
job marks it "working", makes the file under ``COMPILATIONS_DIR`` (default
``instance/compilations``), and marks it "ready". A job whose worker died runs
again; after its last failed attempt the row is "failed". The status page
refreshes itself until the file can be downloaded. A row left "waiting" or
"working" longer than ``STALE_AFTER`` counts as failed.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from ..database import writing
from ..extensions import db
from ..jobs import enqueue
from ..jobs import job_kind
from ..models import utcnow
from . import book
from .compilation import Selection
from .models import Compilation

STALE_AFTER = timedelta(minutes=15)
REUSE_WITHIN = timedelta(minutes=10)  # the same request again gets the same file

JOB_KIND = "practices.compilation"


def compilations_dir() -> Path:
    configured = current_app.config.get("COMPILATIONS_DIR")
    return Path(configured or Path(current_app.instance_path) / "compilations")


def file_path(row: Compilation) -> Path:
    return compilations_dir() / row.file_key


def is_stale(row: Compilation) -> bool:
    return row.status in ("waiting", "working") and utcnow() - row.created_at > STALE_AFTER


def request(actor, selection: Selection, fmt: str, practices: int) -> tuple[Compilation, bool]:
    """The row for this request, and whether it is new (its job is queued; the caller commits)."""
    recent = db.session.scalars(
        sa.select(Compilation)
        .where(
            Compilation.format == fmt,
            Compilation.status.in_(("waiting", "working", "ready")),
            Compilation.created_at > utcnow() - REUSE_WITHIN,
        )
        .order_by(Compilation.id.desc())
    )
    wanted = {**selection.params(), "timezone": selection.timezone}
    for row in recent:
        if row.params == wanted and not is_stale(row):
            return row, False
    row = Compilation(requested_by_id=actor.id, params=wanted, format=fmt, practices=practices)
    db.session.add(row)
    db.session.flush()  # its id names the job
    enqueue(JOB_KIND, {"id": row.id}, key=f"compilation:{row.id}")
    return row, True


@job_kind(JOB_KIND, max_attempts=3, on_give_up=lambda payload: _fail(payload["id"]))
def make(payload: dict) -> None:
    """Make the book of one request (again, if a worker died while making it)."""
    row_id = payload["id"]
    with writing():
        row = db.session.get(Compilation, row_id)
        if row is None or row.status == "ready":
            return
        row.status = "working"
        db.session.commit()
    selection = Selection.from_params(row.params, row.params.get("timezone", "Asia/Jakarta"))
    data = book.make(selection, row.format, inline_photos=True)
    key = f"{secrets.token_hex(16)}.{row.format}"
    folder = compilations_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / key).write_bytes(data)
    with writing():
        row = db.session.get(Compilation, row_id)
        row.status, row.file_key, row.size = "ready", key, len(data)
        row.finished_at = utcnow()
        db.session.commit()


def _fail(row_id: int) -> None:
    with writing():
        row = db.session.get(Compilation, row_id)
        if row is not None and row.status != "ready":
            row.status, row.finished_at = "failed", utcnow()
            db.session.commit()
