"""``flask attachments purge`` (a scheduled job) and ``flask attachments check``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..database import writing
from ..extensions import db

attachments_cli = AppGroup("attachments", help="Stored photos and documents.")


@attachments_cli.command("purge")
def purge() -> None:
    """Delete files hidden longer than ATTACHMENTS_PURGE_HIDDEN_DAYS and of withdrawn posts."""
    from . import service

    with writing():
        count = service.purge()
        db.session.commit()
    click.echo(f"Purged {count} attachment(s).")


@attachments_cli.command("check")
@click.option(
    "--delete-orphans", is_flag=True, help="Delete stored files no row names (older than an hour)."
)
@click.option(
    "--remake-previews", is_flag=True, help="Queue jobs that draw lost thumbnails and previews."
)
def check(delete_orphans: bool, remake_previews: bool) -> None:
    """Find rows whose file is missing and files no row names (exit 1 when any)."""
    from . import jobs
    from . import service

    report = service.check_storage(delete_orphans=delete_orphans)
    if remake_previews:
        with writing():
            queued = jobs.queue_lost_previews(report.missing)
            db.session.commit()
        click.echo(f"{queued} preview(s) queued to be drawn again (`flask jobs status`).")
    for attachment_id, key in report.missing:
        click.echo(f"missing file for attachment {attachment_id}: {key}")
    for key in report.orphans:
        click.echo(f"orphan file{' (deleted)' if delete_orphans else ''}: {key}")
    click.echo(f"{len(report.missing)} missing, {len(report.orphans)} orphan(s).")
    if report.missing or (report.orphans and not delete_orphans):
        raise SystemExit(1)
