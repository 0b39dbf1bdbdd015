"""Background jobs: queued with their cause, run once, retried, and shown by `flask jobs status`.

The crash test starts real `flask worker` processes (marked slow) and kills one
with SIGKILL while its job runs; the job is done once, by the next worker, after
the dead worker's lease runs out (shortened here to 3 s).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from forum.attachments.storage import get_storage
from forum.engagement import service as engagement
from forum.extensions import db
from forum.extensions import search
from forum.jobs import enqueue
from forum.jobs import queue
from forum.jobs.models import Job
from forum.jobs.runner import Runner
from forum.jobs.runner import stop_in_process
from forum.models import User
from forum.models import utcnow
from tests import job_kinds
from tests.attachment_helpers import attachments_of
from tests.attachment_helpers import new_thread_with
from tests.attachment_helpers import uploads  # noqa: F401 - a fixture
from tests.attachment_samples import pdf
from tests.attachment_samples import photo
from tests.helpers import app_db
from tests.helpers import client_for
from tests.helpers import hit_titles
from tests.helpers import post_form
from tests.helpers import run_jobs
from tests.smtp import smtp_sink

ROOT = Path(__file__).resolve().parent.parent
WAIT_CAP = 90  # seconds for one step on a loaded machine


def wait_until(check, what: str, cap: float = WAIT_CAP):
    deadline = time.monotonic() + cap
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {cap} s for {what}")
        time.sleep(0.05)
    return result


def queue_job(app, kind: str, payload: dict | None = None, **options) -> None:
    with app_db(app) as session:
        enqueue(kind, payload, **options)
        session.commit()


def jobs(app) -> list[Job]:
    with app_db(app) as session:
        rows = session.scalars(sa.select(Job).order_by(Job.id)).all()
        session.expunge_all()
        return rows


def status(app) -> str:
    result = app.test_cli_runner().invoke(args=["jobs", "status"])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_job_is_queued_with_the_write_that_causes_it_and_once_per_key(app):
    with app_db(app) as session:
        enqueue(job_kinds.RECORD, {"n": 1})
        session.rollback()  # the cause was rolled back: so is its job
    queue_job(app, job_kinds.RECORD, {"n": 2}, key="once")
    queue_job(app, job_kinds.RECORD, {"n": 3}, key="once")
    assert [(job.payload, job.key) for job in jobs(app)] == [({"n": 2}, "once")]
    job_kinds.RECORDED.clear()
    assert run_jobs(app) == 1
    assert job_kinds.RECORDED == [{"n": 2}]
    assert [job.state for job in jobs(app)] == ["done"]
    queue_job(app, job_kinds.RECORD, {"n": 4}, key="once")  # done work is not queued again
    assert run_jobs(app) == 0


def test_two_workers_never_claim_the_same_job(app):
    for n in range(30):
        queue_job(app, job_kinds.RECORD, {"n": n})
    claimed: dict[str, list] = {"a": [], "b": []}
    start = threading.Barrier(2)

    def claim_all(worker: str) -> None:
        with app.app_context():
            start.wait()
            while (job := queue.claim(db.engine, worker, lease=60)) is not None:
                claimed[worker].append(job)

    threads = [threading.Thread(target=claim_all, args=(name,)) for name in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_CAP)
    ids = {name: [job.id for job in got] for name, got in claimed.items()}
    assert not set(ids["a"]) & set(ids["b"])
    assert sorted(ids["a"] + ids["b"]) == list(range(1, 31))
    assert {job.claimed_by for job in jobs(app) if job.id in ids["a"]} <= {"a"}
    job = (claimed["a"] or claimed["b"])[0]
    holder, other = ("a", "b") if claimed["a"] else ("b", "a")
    with app.app_context():  # only the worker holding a job renews or finishes it, once
        assert queue.renew(db.engine, job, holder, lease=60)
        assert not queue.renew(db.engine, job, other, lease=60)
        assert not queue.finish(db.engine, job, other)
        assert queue.finish(db.engine, job, holder) and not queue.finish(db.engine, job, holder)


def test_a_failing_job_is_retried_later_then_shown_as_failed(app):
    app.config.update(JOBS_BACKOFF_SECONDS=30, JOBS_BACKOFF_MAX=3600)
    queue_job(app, job_kinds.ALWAYS_FAILS, {"why": "printer on fire"})
    for attempt, backoff in ((1, 30), (2, 60)):
        assert run_jobs(app) == 1
        [job] = jobs(app)
        assert (job.state, job.attempts) == ("waiting", attempt)
        assert "RuntimeError: printer on fire" in job.last_error
        wait = (job.run_after - utcnow()).total_seconds()
        assert backoff - 5 < wait <= backoff
        assert run_jobs(app) == 0  # not due yet
        assert "retry after: RuntimeError: printer on fire" in status(app)
        with app_db(app) as session:  # the backoff has passed
            session.execute(sa.update(Job).values(run_after=utcnow() - timedelta(seconds=1)))
            session.commit()
    assert run_jobs(app) == 1
    [job] = jobs(app)
    assert (job.state, job.attempts) == ("failed", 3)
    shown = status(app)
    assert "failed (latest 1):" in shown
    assert f"#{job.id} test.always_fails" in shown and "after 3 attempts" in shown
    assert "RuntimeError: printer on fire" in shown
    result = app.test_cli_runner().invoke(args=["jobs", "retry", str(job.id)])
    assert result.exit_code == 0, result.output
    assert [(job.state, job.attempts) for job in jobs(app)] == [("waiting", 0)]


def test_without_a_worker_the_web_process_runs_jobs_itself(app):
    """`make run`: JOBS_IN_PROCESS (the default) runs queued work in a thread of the process."""
    app.config["JOBS_IN_PROCESS"] = True
    job_kinds.RECORDED.clear()
    try:
        queue_job(app, job_kinds.RECORD, {"in": "process"})  # no request yet: no runner
        assert [job.state for job in jobs(app)] == ["waiting"]
        assert app.test_client().get("/healthz").status_code == 200  # a first request starts it
        wait_until(lambda: [job.state for job in jobs(app)] == ["done"], "the in-process runner")
        queue_job(app, job_kinds.RECORD, {"in": "again"})  # a commit wakes it
        wait_until(lambda: len(job_kinds.RECORDED) == 2, "the runner to be woken")
    finally:
        stop_in_process(app)
    assert job_kinds.RECORDED == [{"in": "process"}, {"in": "again"}]
    assert jobs(app)[0].claimed_by.endswith(":web")


def _worker(app, name: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"],
        "SEARCH_BACKEND": app.config["SEARCH_BACKEND"],
        "SECRET_KEY": "test-secret-key",
        "SERAMBI_ENV": "test",
        "JOBS_LEASE_SECONDS": "3",
        "JOBS_POLL_SECONDS": "0.1",
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "flask", "--app", "tests.job_kinds:worker_app()", "worker"]
    return subprocess.Popen([*command, "--name", name], cwd=ROOT, env=env)


@pytest.mark.slow
def test_a_worker_killed_in_the_middle_of_a_job_leaves_it_to_be_done_once(app, tmp_path):
    flags = tmp_path / "flags"
    flags.mkdir()
    queue_job(app, job_kinds.WAIT_FOR_FLAG, {"folder": str(flags)}, key="crash")
    workers = {name: _worker(app, name) for name in ("a", "b")}  # both start at once
    try:
        started = wait_until(lambda: (flags / "started").exists(), "a worker to start the job")
        pid = int((flags / "started").read_text().split()[0])
        [(dead, victim)] = [(name, p) for name, p in workers.items() if p.pid == pid]
        [survivor] = set(workers) - {dead}
        running = status(app)
        assert "running (1):" in running and f"test.wait_for_flag by {dead} since" in running
        victim.send_signal(signal.SIGKILL)
        victim.wait(WAIT_CAP)
        (flags / "go").touch()  # the job could finish now; its first worker is gone
        wait_until(lambda: jobs(app)[0].state == "done", "the other worker to finish the job")
        workers[survivor].terminate()  # SIGTERM: it stops between jobs
        assert workers[survivor].wait(WAIT_CAP) == 0
    finally:
        for process in workers.values():
            process.kill()
    assert started and (flags / "done").read_text().splitlines() == ["done"]  # done once
    assert len((flags / "started").read_text().splitlines()) == 2  # started twice
    [job] = jobs(app)
    assert (job.attempts, job.claimed_by) == (2, survivor)
    assert f"the lease of {dead} ran out" in job.last_error


def test_index_updates_left_in_the_outbox_are_applied_by_a_job(app, client, make_thread):
    make_thread(title="Utas pertama")  # creates the index
    with app.app_context():
        with search.engine.store.write_lock(timeout=5):  # busy: the commit cannot drain
            make_thread(title="Ditulis saat indeks terkunci", body="kata unik gajahbiru")
            Runner(app).chores()  # the worker sees the outbox rows and queues a drain
            assert run_jobs(app) == 1  # still busy: it waits for a retry
        [job] = jobs(app)
        assert (job.kind, job.state) == ("search.drain", "waiting") and "Timeout" in job.last_error
        assert hit_titles(client.get("/search?q=gajahbiru")) == []
        with app_db(app) as session:
            session.execute(sa.update(Job).values(run_after=utcnow()))
            session.commit()
    assert run_jobs(app) == 1
    assert [job.state for job in jobs(app)] == ["done"]
    assert hit_titles(client.get("/search?q=gajahbiru")) == ["Ditulis saat indeks terkunci"]


def test_the_digest_queued_on_two_servers_under_one_key_is_sent_once(app, make_user, make_thread):
    member = make_user()
    with app_db(app) as session:
        settings = {"reply": (True, True)}
        engagement.save_settings(session.get(User, member.id), settings)
        session.commit()
    thread = make_thread(member)
    replier = client_for(app, make_user())
    assert (
        post_form(replier, f"/threads/{thread.id}/replies", {"body": "Kami juga."}).status_code
        == 302
    )
    said = []
    for _server in range(2):  # cron on each server
        result = app.test_cli_runner().invoke(
            args=["jobs", "enqueue", "notifications.digest", "--key", "digest-2026-12-03"]
        )
        assert result.exit_code == 0, result.output
        said.append(result.output)
    assert "queued under digest-2026-12-03 (once)" in said[0]
    assert "was queued before: nothing queued" in said[1]
    with smtp_sink() as sink:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.server_address[1])
        assert run_jobs(app) == 1
        assert [rcpts for _sender, rcpts, _message in sink.messages] == [[member.email]]


def test_a_lost_thumbnail_and_pdf_preview_are_drawn_again_once(app, uploads, make_user):  # noqa: F811
    client = client_for(app, make_user())
    files = [(photo((600, 400), seed=3), "rak-buku.jpg"), (pdf(), "laporan.pdf")]
    assert new_thread_with(client, files).status_code == 302
    before = attachments_of(app)
    with app.app_context():
        for attachment in before:
            get_storage().delete(attachment.thumb_key)  # lost, e.g. a restore without them

    def check() -> str:
        return app.test_cli_runner().invoke(args=["attachments", "check", "--remake-previews"])

    assert "2 preview(s) queued" in check().output
    assert "0 preview(s) queued" in check().output  # the same lost files: queued once
    assert run_jobs(app) == 2
    after = attachments_of(app)
    assert all(new.thumb_key != old.thumb_key for new, old in zip(after, before, strict=True))
    assert [(a.thumb_width, a.thumb_height) for a in after] == [
        (a.thumb_width, a.thumb_height) for a in before
    ]
    result = check()
    assert result.exit_code == 0 and "0 missing" in result.output


def test_a_job_whose_workers_keep_dying_is_given_up(app):
    queue_job(app, job_kinds.RECORD, {"n": 1})
    with app_db(app) as session:  # its last allowed attempt's worker died: the lease ran out
        session.execute(
            sa.update(Job).values(
                state="running",
                attempts=Job.max_attempts,
                claimed_by="gone",
                claimed_until=utcnow() - timedelta(seconds=1),
            )
        )
        session.commit()
    job_kinds.RECORDED.clear()
    assert run_jobs(app) == 1
    assert job_kinds.RECORDED == []  # not run a sixth time
    [job] = jobs(app)
    assert (
        job.state == "failed" and "its worker stopped during each of 5 attempts" in job.last_error
    )
    assert "its worker stopped during each of 5 attempts" in status(app)
