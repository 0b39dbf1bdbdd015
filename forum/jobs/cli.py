"""``flask worker`` and ``flask jobs status|retry|enqueue``."""

from __future__ import annotations

import json
import signal

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from ..database import writing
from ..extensions import db
from ..extensions import search
from ..models import utcnow
from . import queue
from .kinds import KINDS
from .models import FAILED
from .models import RUNNING
from .models import STATES
from .models import WAITING
from .models import Job
from .runner import Runner

jobs_cli = AppGroup("jobs", help="Background work: what waits, what runs, what failed.")
SHOWN = 20  # rows listed per state


@click.command("worker")
@click.option("--once", is_flag=True, help="Run the jobs that are due, then stop.")
@click.option("--name", default=None, help="This worker's name in `flask jobs status`.")
def worker_command(once: bool, name: str | None) -> None:
    """Run background jobs (index updates, digests, books, ...) until stopped."""
    runner = Runner(current_app._get_current_object(), name)

    def stop(_signum, _frame) -> None:  # finish the job in hand, then leave
        runner.stop.set()
        runner.wake.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if once:
        runner.chores()
        click.echo(f"{runner.run_until_idle()} jobs run.")
        return
    click.echo(f"worker {runner.name}: running {', '.join(sorted(KINDS))}", err=True)
    runner.run_forever()


def _since(moment) -> str:
    seconds = int((utcnow() - moment).total_seconds())
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC ({seconds} s ago)"


def _first_line(error: str | None) -> str:
    lines = [line for line in (error or "").splitlines() if line.strip()]
    return lines[-1].strip()[:200] if lines else ""


@jobs_cli.command("status")
def status_command() -> None:
    """Counts per kind and state, then the running jobs, the next waiting and the failed."""
    session = db.session
    counts = session.execute(
        sa.select(Job.kind, Job.state, sa.func.count()).group_by(Job.kind, Job.state)
    ).all()
    table: dict[str, dict[str, int]] = {}
    for kind, state, count in counts:
        table.setdefault(kind, {})[state] = count
    click.echo(f"{'kind':<26}" + "".join(f"{state:>9}" for state in STATES))
    for kind in sorted(set(table) | set(KINDS)):
        row = table.get(kind, {})
        click.echo(f"{kind:<26}" + "".join(f"{row.get(state, 0):>9}" for state in STATES))
    click.echo(f"search outbox rows not yet indexed: {search.engine.pending(db.engine)}")

    running = session.scalars(
        sa.select(Job).where(Job.state == RUNNING).order_by(Job.claimed_at).limit(SHOWN)
    ).all()
    click.echo(f"\nrunning ({len(running)}):" if running else "\nrunning: none")
    now = utcnow()
    for job in running:
        until = job.claimed_until
        lease = "lease ran out" if until < now else f"lease to {until:%H:%M:%S} UTC"
        click.echo(
            f"  #{job.id} {job.kind} by {job.claimed_by} since {_since(job.claimed_at)}, "
            f"attempt {job.attempts}/{job.max_attempts}, {lease}"
        )
    waiting = session.scalars(
        sa.select(Job).where(Job.state == WAITING).order_by(Job.run_after, Job.id).limit(SHOWN)
    ).all()
    click.echo(f"\nwaiting (first {len(waiting)}):" if waiting else "\nwaiting: none")
    for job in waiting:
        when = "due now" if job.run_after <= now else f"due {job.run_after:%Y-%m-%d %H:%M:%S} UTC"
        retry = f", retry after: {_first_line(job.last_error)}" if job.attempts else ""
        click.echo(f"  #{job.id} {job.kind} {when}, queued {_since(job.created_at)}{retry}")
    failed = session.scalars(
        sa.select(Job).where(Job.state == FAILED).order_by(Job.finished_at.desc()).limit(SHOWN)
    ).all()
    click.echo(f"\nfailed (latest {len(failed)}):" if failed else "\nfailed: none")
    for job in failed:
        click.echo(
            f"  #{job.id} {job.kind} {job.payload or ''} after {job.attempts} attempts, "
            f"{_since(job.finished_at)}: {_first_line(job.last_error)}"
        )
    if failed:
        click.echo("  (`flask jobs show ID`: the whole error; `flask jobs retry ID`: try again)")


@jobs_cli.command("show")
@click.argument("job_id", type=int)
def show_command(job_id: int) -> None:
    """One job with its whole last error."""
    job = db.session.get(Job, job_id)
    if job is None:
        raise click.ClickException(f"no job #{job_id}")
    for name in (
        "kind",
        "payload",
        "key",
        "state",
        "attempts",
        "max_attempts",
        "run_after",
        "created_at",
        "claimed_by",
        "claimed_at",
        "claimed_until",
        "finished_at",
    ):
        click.echo(f"{name}: {getattr(job, name)}")
    click.echo(f"last_error:\n{job.last_error or ''}")


@jobs_cli.command("retry")
@click.argument("job_id", type=int)
def retry_command(job_id: int) -> None:
    """Queue a failed job again, due now."""
    with writing():
        if not queue.retry(job_id):
            raise click.ClickException(f"job #{job_id} is not a failed job")
        db.session.commit()
    click.echo(f"job #{job_id} waits again.")


@jobs_cli.command("enqueue")
@click.argument("kind")
@click.option("--key", default=None, help="Queue it once under this key (digest-2026-12-03).")
@click.option("--payload", default="{}", help="A JSON object handed to the job.")
def enqueue_command(kind: str, key: str | None, payload: str) -> None:
    """Queue a job, e.g. from cron on every server:
    `flask jobs enqueue notifications.digest --key digest-$(date +%F)`."""
    try:
        data = json.loads(payload)
    except ValueError as error:
        raise click.BadParameter(f"not JSON: {error}", param_hint="--payload") from error
    if not isinstance(data, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--payload")
    if kind not in KINDS:
        raise click.BadParameter(f"unknown kind; known: {', '.join(sorted(KINDS))}")
    with writing():
        queued = queue.enqueue(kind, data, key=key)
        db.session.commit()
    if not queued:
        click.echo(f"{kind} under {key} was queued before: nothing queued.")
        return
    click.echo(f"{kind} queued" + (f" under {key} (once)" if key else "") + ".")
