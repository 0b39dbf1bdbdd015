"""The search area's background work: apply the search outbox to the index.

A commit drains the outbox at once where it can; what is left (the index was
busy, the process stopped) is drained by this job, which the job runner queues
whenever the outbox has rows (forum/jobs/runner.py) and retries with backoff.
"""

from __future__ import annotations

from ..extensions import db
from ..extensions import search
from ..jobs import job_kind


@job_kind("search.drain", max_attempts=10)
def drain(payload: dict) -> None:
    search.engine.drain_pending(db.engine)


@job_kind("search.similar_refresh", max_attempts=3)
def refresh_similar(payload: dict) -> None:
    # Older threads learn about newer ones here (a new thread's list is made when it is
    # written); queued nightly from cron on every server under one key a day.
    from .similar import refresh_all

    refresh_all()
