"""Command-line tools: ``flask demo load``, ``flask users ...``, ``flask posts rerender``.

Every command that writes runs inside :func:`forum.database.writing`, so on
SQLite its transactions begin IMMEDIATE like a POST request's.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from .attachments.cli import attachments_cli
from .database import writing
from .engagement.mail import notifications_cli
from .extensions import db
from .jobs.cli import jobs_cli
from .jobs.cli import worker_command
from .models import ROLES

demo_cli = AppGroup("demo", help="The Indonesian demo community.")
users_cli = AppGroup("users", help="Manage member accounts.")
search_cli = AppGroup("search", help="The full-text search index.")
backup_cli = AppGroup("backup", help="Back up and restore the SQLite database and uploads.")
posts_cli = AppGroup("posts", help="Posts and their earlier versions.")
figures_cli = AppGroup("figures", help="The dashboard's stored figures.")


@demo_cli.command("load")
def demo_load() -> None:
    """Load the demo community into an empty database (never over real data)."""
    from .demo import DatabaseNotEmpty
    from .demo import load_demo

    with writing():
        try:
            summary = load_demo()
        except DatabaseNotEmpty:
            click.echo("The database already has members: demo data not loaded.")
            return
    click.echo(
        f"Demo loaded: {summary['members']} members, {summary['libraries']} libraries, "
        f"{summary['threads']} threads, {summary['replies']} replies. "
        f"Password for every demo member: {summary['password']}"
    )


@users_cli.command("create")
@click.argument("username")
@click.option("--email", required=True)
@click.option(
    "--password", prompt=True, hide_input=True, confirmation_prompt=True, help="Asked if omitted."
)
@click.option("--role", type=click.Choice(ROLES), default="librarian", show_default=True)
@click.option("--display-name", default=None)
@click.option(
    "--partner",
    "partner_id",
    type=int,
    default=None,
    help="The partner organisation's number (see /admin/partners); needs --role partner.",
)
def users_create(username, email, password, role, display_name, partner_id) -> None:
    """Create a member (e.g. the first facilitator or admin, or a partner's member)."""
    from .auth.service import AccountError
    from .auth.service import create_user
    from .partners import service as partners

    if len(password) < 8:
        raise click.BadParameter("at least 8 characters", param_hint="--password")
    if (role == "partner") != (partner_id is not None):
        raise click.BadParameter(
            "--role partner and --partner ORG_ID go together", param_hint="--partner"
        )
    with writing():
        partner = partners.load_partner(partner_id) if partner_id is not None else None
        if partner_id is not None and partner is None:
            raise click.BadParameter(
                f"no partner organisation {partner_id}", param_hint="--partner"
            )
        try:
            user = create_user(username, email, password, display_name=display_name, role=role)
        except AccountError as error:
            raise click.ClickException(str(error)) from error
        if partner is not None:
            partners.link_member(user, partner)
        db.session.commit()
    suffix = f" of {partner.name}" if partner is not None else ""
    click.echo(f"Created {user.role} {user.username}{suffix}.")


@users_cli.command("set-password")
@click.argument("username")
@click.option(
    "--password", prompt=True, hide_input=True, confirmation_prompt=True, help="Asked if omitted."
)
def users_set_password(username, password) -> None:
    """Give a member a new password (their other sessions end)."""
    from .auth.service import find_user
    from .auth.service import set_password

    if len(password) < 8:
        raise click.BadParameter("at least 8 characters", param_hint="--password")
    with writing():
        user = find_user(username, include_deleted=True)
        if user is None:
            raise click.ClickException(f"no member named {username!r}")
        if user.is_deleted:  # deleting an account is for good: no way back in
            raise click.ClickException(f"{username!r} deleted their account")
        set_password(user, password)
        db.session.commit()
    click.echo(f"Password changed for {user.username}.")


@users_cli.command("scope")
@click.argument("username")
@click.option("--add", "added", multiple=True, help="A region value to add (repeatable).")
@click.option("--remove", "removed", multiple=True, help="A region value to remove (repeatable).")
def users_scope(username, added, removed) -> None:
    """Show or change the regions a facilitator looks after.

    Region values as on the dashboard: a kabupaten/kota slug (purwakarta),
    provinsi-<slug> (provinsi-jawa-barat), or nasional.
    """
    from .auth.service import find_user
    from .moderation.service import replace_scope
    from .regions import Region

    parsed = {}
    for value in (*added, *removed):
        parsed[value] = Region.from_value(value)
        if parsed[value] is None:
            raise click.BadParameter(
                f"{value!r} is not a region value", param_hint="--add/--remove"
            )
    with writing():
        user = find_user(username)
        if user is None:
            raise click.ClickException(f"no member named {username!r}")
        if user.role != "facilitator":
            raise click.ClickException(
                f"{user.username} is a {user.role}: only facilitators have regions"
            )
        values = {scope.region for scope in user.scopes}
        values |= {parsed[value].value for value in added}
        values -= {parsed[value].value for value in removed}
        replace_scope(user, [Region.parse(value) for value in values])
        db.session.commit()
        regions_now = ", ".join(scope.region for scope in user.scopes) or "none"
    click.echo(f"{user.username} looks after: {regions_now}")


@users_cli.command("confirm-emails")
@click.option(
    "--all-existing",
    is_flag=True,
    help="Mark every stored address confirmed (only if you trust them).",
)
def users_confirm_emails(all_existing: bool) -> None:
    """Count the addresses members gave before confirmation links existed as confirmed.

    Once, after upgrading an install whose addresses you trust: without it,
    members get password-reset links only after confirming their address.
    """
    from .auth.recovery import confirm_all_existing

    if not all_existing:
        raise click.UsageError("say --all-existing to mark every stored address confirmed")
    with writing():
        count = confirm_all_existing()
        db.session.commit()
    click.echo(f"Marked {count} e-mail addresses confirmed.")


@search_cli.command("reindex")
@click.option("--if-needed", is_flag=True, help="Only when the index is missing or damaged.")
@click.option("--procs", default=1, show_default=True, help="Writer processes (2 uses both cores).")
def search_reindex(if_needed: bool, procs: int) -> None:
    """Rebuild the index from the database (searches keep working meanwhile)."""
    from .extensions import search
    from .search.reindex import rebuild_index
    from .search_documents import count_documents

    if if_needed and search.status()["available"]:
        click.echo("The search index is in place.")
        return
    total = count_documents(db.session)
    with click.progressbar(length=total, label="Indexing posts", show_pos=True) as bar:
        count = rebuild_index(progress=lambda done: bar.update(done - bar.pos), procs=procs)
    click.echo(f"Indexed {count} posts.")


@search_cli.command("check")
@click.option("--dry-run", is_flag=True, help="Only report; do not repair.")
def search_check(dry_run: bool) -> None:
    """Compare the index with the database; repair any drift (exit 1 if drift remains)."""
    from .search.reindex import check_index
    from .search_documents import count_documents

    total = count_documents(db.session)
    with click.progressbar(length=total, label="Checking posts", show_pos=True) as bar:
        report, _total = check_index(
            repair=not dry_run, progress=lambda done: bar.update(done - bar.pos)
        )
    click.echo(
        f"Checked {report.checked} posts: {len(report.missing)} missing, "
        f"{len(report.stale)} stale, {len(report.extra)} extra "
        "(hidden, withdrawn or deleted but still indexed)."
    )
    if report.clean:
        click.echo("No drift.")
    elif report.repaired:
        click.echo("Repaired.")
    else:
        raise SystemExit(1)


@search_cli.command("status")
def search_status() -> None:
    """Index location, documents, segments and the outbox backlog."""
    from .extensions import search

    for key, value in search.status(db.engine).items():
        click.echo(f"{key}: {value}")


@search_cli.command("similar")
@click.option("--refresh", is_flag=True, help="Recompute every thread's list.")
def search_similar(refresh: bool) -> None:
    """Each thread's stored similar threads (a scheduled job; never in a request)."""
    import sqlalchemy as sa

    from .models import Thread
    from .search.similar import refresh_all

    if not refresh:
        raise click.UsageError("say --refresh to recompute every thread's similar threads")
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Thread))
    with click.progressbar(length=total, label="Similar threads", show_pos=True) as bar:
        count = refresh_all(progress=lambda done: bar.update(done - bar.pos))
    click.echo(f"Similar threads computed for {count} threads.")


@search_cli.command("optimize")
def search_optimize() -> None:
    """Merge the index into one segment (a scheduled job; never in a request)."""
    from .extensions import search

    search.engine.optimize()
    click.echo("Index optimized.")


@posts_cli.command("rerender")
@click.option(
    "--if-needed", is_flag=True, help="Only rows rendered by an older renderer or allowlist."
)
def posts_rerender(if_needed: bool) -> None:
    """Render the stored HTML of every post, earlier version and report section again.

    Run it after a change to forum/markup.py (the renderer, its allowlist or its
    limits) or to markdown-it-py/nh3; pages show the stored HTML.
    """
    from .markup import RENDER_VERSION
    from .stored_html import rerender
    from .stored_html import stale_count

    total = stale_count(if_needed=if_needed)
    db.session.rollback()
    if not total:
        click.echo(f"Everything is rendered by the current renderer ({RENDER_VERSION}).")
        return
    with click.progressbar(length=total, label="Rendering posts", show_pos=True) as bar:
        count = rerender(if_needed=if_needed, progress=lambda done: bar.update(done - bar.pos))
    click.echo(
        f"Rendered {count} posts, earlier versions and threads' sections ({RENDER_VERSION})."
    )


@figures_cli.command("rebuild")
def figures_rebuild() -> None:
    """Recount the dashboard's stored figures from the forum's tables.

    Writes keep them up to date; run this after rows were written around the
    application (a bulk import, a restore from an older backup, hand-made SQL).
    """
    from .insight.aggregates import rebuild

    with writing():
        rows = rebuild(db.session.connection())
        db.session.commit()
    click.echo(
        "Figures rebuilt: "
        + ", ".join(f"{count} rows in {table}" for table, count in rows.items())
        + "."
    )


def _uploads_dir():
    from pathlib import Path

    from flask import current_app

    return Path(
        current_app.config.get("UPLOADS_DIR") or Path(current_app.instance_path) / "uploads"
    )


@backup_cli.command("create")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def backup_create(path: str) -> None:
    """Write a consistent backup (.tar.gz) while the forum keeps running."""
    from pathlib import Path

    from flask import current_app

    from .backup import BackupError
    from .backup import create_backup

    try:
        archive = create_backup(
            current_app.config["SQLALCHEMY_DATABASE_URI"], _uploads_dir(), Path(path)
        )
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backup written to {archive}.")


@backup_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def backup_restore(path: str) -> None:
    """Restore a backup over the current database, then rebuild the search index."""
    from pathlib import Path

    from flask import current_app

    from .backup import BackupError
    from .backup import restore_backup
    from .search.reindex import rebuild_index

    db.session.remove()
    try:
        restore_backup(current_app.config["SQLALCHEMY_DATABASE_URI"], _uploads_dir(), Path(path))
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    db.engine.dispose()  # connections opened before the restore may cache old pages
    count = rebuild_index()
    click.echo(f"Restored from {path}; search index rebuilt with {count} posts.")


@click.command("copy-to")
@click.argument("target_url")
@click.option(
    "--search-backend",
    type=click.Choice(["whoosh", "postgresql"]),
    default=None,
    help="Search on the target (default: SEARCH_BACKEND).",
)
@click.option("--batch-size", default=1000, show_default=True, help="Rows per INSERT.")
def db_copy_to(target_url: str, search_backend: str | None, batch_size: int) -> None:
    """Copy this install's database into an EMPTY PostgreSQL database, then reindex.

    Stop the forum first: rows written during the copy are not copied. Uploaded
    files stay in UPLOADS_DIR, which the PostgreSQL install must share.
    """
    import time

    from flask import current_app

    from .database_copy import CopyRefused
    from .database_copy import copy_to

    settings = dict(current_app.config, SQLALCHEMY_DATABASE_URI=target_url)
    if search_backend is not None:
        settings["SEARCH_BACKEND"] = search_backend
    target_app = current_app.extensions["serambi.app_factory"](settings)
    started = time.monotonic()
    try:
        report = copy_to(
            target_app,
            batch_size=batch_size,
            progress=lambda name, rows: click.echo(f"  {name}: {rows} rows", err=True),
        )
    except CopyRefused as error:
        raise click.ClickException(f"Not copied: {error}") from error
    width = max(len(name) for name in report.source)
    click.echo(f"{'table':<{width}}  {'source':>8}  {'target':>8}")
    for name, rows in report.source.items():
        click.echo(f"{name:<{width}}  {rows:>8}  {report.target[name]:>8}")
    click.echo(
        f"Copied {sum(report.source.values())} rows in {len(report.source)} tables "
        f"in {time.monotonic() - started:.1f} s; not copied: {', '.join(report.skipped)} "
        f"(the search is rebuilt: {report.indexed} posts indexed, "
        f"{target_app.config['SEARCH_BACKEND']})."
    )


def init_app(app: Flask, app_factory=None) -> None:
    """Every ``flask`` command group, registered here and nowhere else.

    ``app_factory`` (``create_app``, passed in to keep the imports one-way) builds the
    target app of ``flask db copy-to``, which joins Flask-Migrate's ``db`` group.
    """
    from flask_migrate.cli import db as migrate_cli

    app.extensions["serambi.app_factory"] = app_factory
    migrate_cli.add_command(db_copy_to)
    app.cli.add_command(demo_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(search_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(posts_cli)
    app.cli.add_command(figures_cli)
    app.cli.add_command(notifications_cli)
    app.cli.add_command(attachments_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(worker_command)
