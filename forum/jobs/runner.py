"""Running jobs: the ``flask worker`` loop, and the same loop in a thread of the web process.

One :class:`Runner` claims a job, runs its handler in an app and request context
while a heartbeat thread renews its lease, then marks it done, or keeps the
error and schedules a retry. Between jobs it does the queue's chores: an index
drain job when the search outbox has rows, and pruning old done jobs.

``JOBS_IN_PROCESS`` (on by default) starts a runner thread in each web process on
its first request, woken at once by a commit that queued work: one machine needs
no other process, as before. A deployment with a separate ``flask worker`` sets
it to false on the web servers.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

from flask import Flask
from flask import current_app
from flask import has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..database import writing
from ..extensions import db
from ..extensions import search
from . import queue
from .kinds import KINDS
from .queue import Claimed

log = logging.getLogger(__name__)

SEARCH_DRAIN = "search.drain"  # registered by forum/search/jobs.py
PRUNE_EVERY = 3600.0  # seconds between deletions of old done jobs


class Runner:
    """Claims and runs jobs for one app as one named worker."""

    def __init__(self, app: Flask, name: str | None = None) -> None:
        self.app = app
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.stop = threading.Event()
        self.wake = threading.Event()
        self._pruned = 0.0

    @property
    def lease(self) -> float:
        return float(self.app.config["JOBS_LEASE_SECONDS"])

    def run_one(self) -> Claimed | None:
        """Claim and run one due job; None when nothing is due."""
        with self.app.app_context():
            job = queue.claim(db.engine, self.name, self.lease)
            if job is not None:
                self._run(job)
        return job

    def run_until_idle(self, limit: int = 1000) -> int:
        """Run due jobs until none is left (``flask worker --once``, tests)."""
        done = 0
        while done < limit and not self.stop.is_set() and self.run_one() is not None:
            done += 1
        return done

    def run_forever(self) -> None:
        """Chores, then jobs, until :attr:`stop` is set; waits ``JOBS_POLL_SECONDS`` when idle."""
        poll = float(self.app.config["JOBS_POLL_SECONDS"])
        while not self.stop.is_set():
            job = None
            try:
                self.chores()
                job = self.run_one()
            except Exception:  # the database went away: wait, then try again
                log.exception("jobs: the runner %s could not claim", self.name)
            if job is None:
                self.wake.wait(poll)
                self.wake.clear()

    def chores(self) -> None:
        """Queue an index drain when the search outbox has rows; prune old done jobs."""
        with self.app.app_context():
            engine = db.engine
            if (
                SEARCH_DRAIN in KINDS
                and search.engine.pending(engine)
                and not queue.waiting_exists(engine, SEARCH_DRAIN)
            ):
                with writing():
                    queue.enqueue(SEARCH_DRAIN)
                    db.session.commit()
            if time.monotonic() - self._pruned > PRUNE_EVERY:
                queue.prune(engine, float(self.app.config["JOBS_KEEP_DONE_DAYS"]))
                self._pruned = time.monotonic()
            db.session.remove()

    def _run(self, job: Claimed) -> None:
        engine = db.engine
        kind = KINDS[job.kind]
        if job.attempt > job.max_attempts:  # its workers kept dying while running it
            stopped = f"gave up: its worker stopped during each of {job.max_attempts} attempts"
            queue.fail(engine, job, self.name, stopped)
            self._gave_up(kind, job)
            return
        heartbeat = _Heartbeat(engine, job, self.name, self.lease)
        base_url = self.app.config.get("BASE_URL") or "http://localhost"
        error = None
        with self.app.test_request_context("/", base_url=base_url):
            try:
                kind.handler(job.payload)
            except Exception as raised:
                db.session.rollback()
                error = raised
            finally:
                heartbeat.stop()
                db.session.remove()
        if error is None:
            if not queue.finish(engine, job, self.name):
                log.warning("jobs: %s %s finished after its lease ran out", job.kind, job.id)
            return
        log.warning("jobs: %s %s failed (try %s)", job.kind, job.id, job.attempt, exc_info=error)
        if queue.fail(engine, job, self.name, queue.error_text(error)) == "failed":
            self._gave_up(kind, job)

    def _gave_up(self, kind, job: Claimed) -> None:
        if kind.on_give_up is None:
            return
        with self.app.test_request_context("/"):
            try:
                kind.on_give_up(job.payload)
            except Exception:
                log.exception("jobs: giving up on %s %s failed too", job.kind, job.id)
                db.session.rollback()
            finally:
                db.session.remove()


class _Heartbeat:
    """Renews a running job's lease every third of it, so only a dead worker loses it."""

    def __init__(self, engine, job: Claimed, worker: str, lease: float) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(engine, job, worker, lease), name="jobs-heartbeat", daemon=True
        )
        self._thread.start()

    def _run(self, engine, job: Claimed, worker: str, lease: float) -> None:
        while not self._stop.wait(lease / 3):
            try:
                if not queue.renew(engine, job, worker, lease):
                    return  # taken over: nothing left to renew
            except Exception:
                log.warning("jobs: could not renew the lease of %s", job.id, exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


# -- in the web process ------------------------------------------------------------------

_in_process: dict[int, tuple[int, Runner]] = {}  # id(app) -> (pid, runner)
_lock = threading.Lock()


def in_process_runner(app: Flask) -> Runner:
    """This process's runner thread for ``app``, started on first use (and after a fork)."""
    with _lock:
        entry = _in_process.get(id(app))
        if entry is not None and entry[0] == os.getpid():
            return entry[1]
        runner = Runner(app, f"{socket.gethostname()}:{os.getpid()}:web")
        thread = threading.Thread(target=runner.run_forever, name="jobs-in-process", daemon=True)
        _in_process[id(app)] = (os.getpid(), runner)
        thread.start()
        return runner


def stop_in_process(app: Flask) -> None:
    with _lock:
        entry = _in_process.pop(id(app), None)
    if entry is not None:
        entry[1].stop.set()
        entry[1].wake.set()


def _after_commit(session: Session) -> None:
    """Wake this process's runner, if it has one: web processes start theirs on the first
    request; a CLI command never does (it would leave with a job half done)."""
    if session.in_nested_transaction() or not session.info.pop(queue.ENQUEUED, False):
        return
    if not has_app_context():
        return
    with _lock:
        entry = _in_process.get(id(current_app._get_current_object()))
    if entry is not None and entry[0] == os.getpid():
        entry[1].wake.set()


def _after_rollback(session: Session) -> None:
    if not session.in_transaction():
        session.info.pop(queue.ENQUEUED, None)


def init_app(app: Flask) -> None:
    """Start the in-process runner on a first request, wake it on commits that queue work."""
    if not event.contains(db.session, "after_commit", _after_commit):
        event.listen(db.session, "after_commit", _after_commit)
        event.listen(db.session, "after_rollback", _after_rollback)

    @app.before_request
    def _start_jobs_runner() -> None:
        if app.config["JOBS_IN_PROCESS"]:
            in_process_runner(app)
