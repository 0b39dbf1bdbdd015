"""The ``jobs`` table: background work written in the same transaction as its cause.

A row is *waiting* until ``run_after``, *running* while a worker holds its lease
(``claimed_until``; the worker renews it while it works), then *done* or, after
``max_attempts``, *failed* with the last error kept. A running row whose lease ran
out belongs to a worker that died: the next claim takes it again.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from ..models import UTCDateTime
from ..models import utcnow

WAITING, RUNNING, DONE, FAILED = "waiting", "running", "done", "failed"
STATES = (WAITING, RUNNING, DONE, FAILED)


class Job(db.Model):
    __tablename__ = "jobs"
    __table_args__ = (
        # The claim's lookup: due waiting rows, and running rows whose lease ran out.
        sa.Index("ix_jobs_state_run_after", "state", "run_after"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(64))
    payload: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    # Work that must never be queued twice names itself (e.g. "digest:2026-12-03");
    # a second enqueue with the same key is ignored (unique, NULLs allowed).
    key: so.Mapped[str | None] = so.mapped_column(sa.String(200), unique=True)
    state: so.Mapped[str] = so.mapped_column(sa.String(10), default=WAITING)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    max_attempts: so.Mapped[int] = so.mapped_column(default=5)
    run_after: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    claimed_by: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    claimed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    claimed_until: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    finished_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    last_error: so.Mapped[str | None] = so.mapped_column(sa.Text)
