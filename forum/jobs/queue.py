"""Enqueue, claim, finish and fail jobs: each one statement, on SQLite and PostgreSQL.

*Enqueue* inserts on the caller's session, so the job commits or rolls back with
the write that causes it; a ``key`` already taken is ignored (``ON CONFLICT DO
NOTHING``). *Claim* is one ``UPDATE ... WHERE id = (SELECT ...) RETURNING``: on
PostgreSQL the inner select takes the row ``FOR UPDATE SKIP LOCKED``, so two
workers never get the same job and never wait for each other; SQLite has one
writer at a time, so the single statement is the claim. A claim sets a lease
(``claimed_until``) that the worker renews while it works; a running job whose
lease ran out is claimable again (its worker died), and the claim says so in
``last_error``. Finishing and failing only touch a job this worker still holds.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..database import writing
from ..extensions import db
from ..models import utcnow
from .kinds import KINDS
from .models import DONE
from .models import FAILED
from .models import RUNNING
from .models import WAITING
from .models import Job

ENQUEUED = "jobs.enqueued"  # session.info: this transaction queued work (wake the runner)
ERROR_CHARS = 4000


@contextmanager
def _writer(engine: Engine) -> Iterator[Connection]:
    """A short write transaction of its own (on SQLite: BEGIN IMMEDIATE, see forum/database)."""
    with writing(), engine.begin() as connection:
        yield connection


def enqueue(
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    key: str | None = None,
    delay: float = 0,
    session: Session | None = None,
) -> bool:
    """Queue ``kind`` in the current transaction; False (nothing queued) if ``key`` is taken."""
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    session = session or db.session
    now = utcnow()
    values = {
        "kind": kind,
        "payload": payload or {},
        "key": key,
        "state": WAITING,
        "attempts": 0,
        "max_attempts": KINDS[kind].max_attempts,
        "run_after": now + timedelta(seconds=delay),
        "created_at": now,
    }
    statement = _INSERTS[session.get_bind().dialect.name]
    inserted = session.execute(statement, values).first() is not None
    session.info[ENQUEUED] = True
    return inserted


# Built once: the statement is the same for every job, only its parameters differ. On the
# table, not the ORM entity (no ORM bulk-insert machinery: it costs more than the insert).
# RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT here.
_INSERTS = {
    name: dialect.insert(Job.__table__).on_conflict_do_nothing().returning(Job.__table__.c.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int  # 1 for the first run; identifies this claim when finishing
    max_attempts: int


def _due(now: datetime):
    return sa.or_(
        sa.and_(Job.state == WAITING, Job.run_after <= now),
        sa.and_(Job.state == RUNNING, Job.claimed_until < now),
    )


def claim(engine: Engine, worker: str, lease: float, kinds=None) -> Claimed | None:
    """Take the next due job (or one whose worker died) for ``worker``; None if none."""
    kinds = list(KINDS if kinds is None else kinds)
    if not kinds:
        return None
    now = utcnow()
    due = sa.and_(_due(now), Job.kind.in_(kinds))
    pick = sa.select(Job.id).where(due).order_by(Job.run_after, Job.id).limit(1)
    with engine.connect() as connection:  # a read first: an idle poll takes no write lock
        if connection.execute(pick).first() is None:
            return None
    if engine.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    lease_lost = (
        sa.literal("the lease of ")
        + sa.func.coalesce(Job.claimed_by, "?")
        + sa.literal(" ran out (the worker stopped)")
    )
    statement = (
        sa.update(Job)
        .where(Job.id == pick.scalar_subquery(), due)
        .values(
            state=RUNNING,
            attempts=Job.attempts + 1,
            claimed_by=worker,
            claimed_at=now,
            claimed_until=now + timedelta(seconds=lease),
            last_error=sa.case((Job.state == RUNNING, lease_lost), else_=Job.last_error),
        )
        .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts)
    )
    with _writer(engine) as connection:
        row = connection.execute(statement).first()
    if row is None:
        return None
    return Claimed(row.id, row.kind, row.payload or {}, row.attempts, row.max_attempts)


def _mine(job: Claimed, worker: str):
    return sa.and_(
        Job.id == job.id,
        Job.state == RUNNING,
        Job.claimed_by == worker,
        Job.attempts == job.attempt,
    )


def renew(engine: Engine, job: Claimed, worker: str, lease: float) -> bool:
    """Extend this worker's lease; False if the job is no longer ours."""
    with _writer(engine) as connection:
        result = connection.execute(
            sa.update(Job)
            .where(_mine(job, worker))
            .values(claimed_until=utcnow() + timedelta(seconds=lease))
        )
    return result.rowcount == 1


def finish(engine: Engine, job: Claimed, worker: str) -> bool:
    """Mark the job done; False if another worker took it over meanwhile."""
    with _writer(engine) as connection:
        result = connection.execute(
            sa.update(Job)
            .where(_mine(job, worker))
            .values(state=DONE, finished_at=utcnow(), claimed_until=None)
        )
    return result.rowcount == 1


def backoff(attempt: int) -> float:
    """Seconds before the next try: doubling from JOBS_BACKOFF_SECONDS, at most JOBS_BACKOFF_MAX."""
    config = current_app.config
    return min(config["JOBS_BACKOFF_SECONDS"] * 2 ** (attempt - 1), config["JOBS_BACKOFF_MAX"])


def error_text(error: BaseException) -> str:
    text = "".join(traceback.format_exception(error)).strip()
    return text[-ERROR_CHARS:]  # the end of a traceback says what went wrong


def fail(engine: Engine, job: Claimed, worker: str, error: str) -> str:
    """Keep the error; wait and retry, or give up after ``max_attempts``. Returns the state."""
    now = utcnow()
    if job.attempt >= job.max_attempts:
        values = {"state": FAILED, "finished_at": now}
    else:
        values = {"state": WAITING, "run_after": now + timedelta(seconds=backoff(job.attempt))}
    with _writer(engine) as connection:
        connection.execute(
            sa.update(Job)
            .where(_mine(job, worker))
            .values(claimed_until=None, last_error=error[-ERROR_CHARS:], **values)
        )
    return values["state"]


def retry(job_id: int) -> bool:
    """Put a failed job back in the queue, due now, with its attempts counted afresh."""
    result = db.session.execute(
        sa.update(Job)
        .where(Job.id == job_id, Job.state == FAILED)
        .values(state=WAITING, attempts=0, run_after=utcnow(), finished_at=None)
    )
    db.session.info[ENQUEUED] = True
    return result.rowcount == 1


def prune(engine: Engine, keep_days: float) -> int:
    """Delete done jobs older than ``keep_days`` (failed ones stay until retried)."""
    with _writer(engine) as connection:
        result = connection.execute(
            sa.delete(Job).where(
                Job.state == DONE, Job.finished_at < utcnow() - timedelta(days=keep_days)
            )
        )
    return result.rowcount


def waiting_exists(engine: Engine, kind: str) -> bool:
    with engine.connect() as connection:
        return (
            connection.execute(
                sa.select(Job.id).where(Job.kind == kind, Job.state == WAITING).limit(1)
            ).first()
            is not None
        )
