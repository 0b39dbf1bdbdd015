"""Compilations made in the background, as :mod:`forum.mail` sends mail: a thread in this process.

A large book takes seconds to draw, so the request only records a
:class:`Compilation` row ("waiting") and starts a daemon thread; the thread marks
it "working", makes the file under ``COMPILATIONS_DIR`` (default
``instance/compilations``), and marks it "ready" (or "failed"). The status page
refreshes itself until the file can be downloaded. A row left "waiting" or
"working" by a process that stopped counts as failed after ``STALE_AFTER``.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from .. import background
from ..database import writing
from ..extensions import db
from ..models import utcnow
from . import book
from .compilation import Selection
from .models import Compilation

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=15)
REUSE_WITHIN = timedelta(minutes=10)  # the same request again gets the same file

BACKGROUND_NAME = "serambi-compilation"


def compilations_dir() -> Path:
    configured = current_app.config.get("COMPILATIONS_DIR")
    return Path(configured or Path(current_app.instance_path) / "compilations")


def file_path(row: Compilation) -> Path:
    return compilations_dir() / row.file_key


def is_stale(row: Compilation) -> bool:
    return row.status in ("waiting", "working") and utcnow() - row.created_at > STALE_AFTER


def request(actor, selection: Selection, fmt: str, practices: int) -> tuple[Compilation, bool]:
    """The row for this request, and whether it is new (the caller commits, then starts it)."""
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
    return row, True


def _make(row_id: int) -> None:
    with writing():
        row = db.session.get(Compilation, row_id)
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
    db.session.rollback()
    with writing():
        row = db.session.get(Compilation, row_id)
        if row is not None:
            row.status, row.finished_at = "failed", utcnow()
            db.session.commit()


def start(row_id: int) -> None:
    """Make the compilation in a thread (after the request committed its row)."""
    app = current_app._get_current_object()
    base_url = app.config.get("BASE_URL") or "http://localhost/"

    def work() -> None:
        with app.test_request_context("/", base_url=base_url):
            try:
                _make(row_id)
            except Exception:
                log.exception("compilation %s failed", row_id)
                _fail(row_id)
            finally:
                db.session.remove()

    background.run_later(BACKGROUND_NAME, work)


def wait_for_background_compilations(timeout: float = 60) -> None:
    """Wait until every started compilation is made (tests, shutdown)."""
    background.wait(BACKGROUND_NAME, timeout)
