"""The e-mail digest as a job: ``flask jobs enqueue notifications.digest --key digest-DAY``.

Cron may queue it on every server: the key makes one job a day, whichever
server queued it first. The job calls the same :func:`send_digests` as
``flask notifications send-digest``; a connection failure is retried with backoff,
and members already sent their digest are not sent it again (each member's
notifications are marked sent in their own transaction).
"""

from __future__ import annotations

from flask import current_app

from ..database import writing
from ..jobs import job_kind
from .mail import send_digests


@job_kind("notifications.digest", max_attempts=4)
def send_digest(payload: dict) -> None:
    with writing():
        send_digests(current_app._get_current_object())
