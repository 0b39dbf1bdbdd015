"""Consistent backups of the SQLite database (and uploads) while the forum keeps running.

SQLite's online backup API copies a consistent snapshot page by page, WAL
included; copying the file would miss committed pages still in the -wal file.
PostgreSQL deployments use pg_dump instead (see the README).
"""

from __future__ import annotations

import shutil
import sqlite3
import tarfile
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

DATABASE_NAME = "serambi.sqlite"
UPLOADS_NAME = "uploads"


class BackupError(Exception):
    """The backup or restore cannot be done (wrong backend, damaged archive)."""


def sqlite_path(database_uri: str) -> Path:
    url = make_url(database_uri)
    if url.get_backend_name() != "sqlite" or not url.database:
        raise BackupError(
            "flask backup handles SQLite; for PostgreSQL use pg_dump / pg_restore (README)"
        )
    return Path(url.database)


def _online_copy(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst, pages=1024)  # small steps: writers are only paused briefly
    with sqlite3.connect(target) as check:
        (result,) = check.execute("PRAGMA integrity_check").fetchone()
    if result != "ok":
        raise BackupError(f"the copy failed its integrity check: {result}")


def create_backup(database_uri: str, uploads_dir: Path | None, archive: Path) -> Path:
    """Write ``archive`` (.tar.gz) with a consistent database snapshot and the uploads."""
    database = sqlite_path(database_uri)
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=archive.parent) as work:
        snapshot = Path(work) / DATABASE_NAME
        _online_copy(database, snapshot)
        partial = archive.with_name(archive.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(snapshot, arcname=DATABASE_NAME)
            if uploads_dir is not None and uploads_dir.is_dir():
                tar.add(uploads_dir, arcname=UPLOADS_NAME)
        partial.replace(archive)  # never a half-written archive under the real name
    return archive


def restore_backup(database_uri: str, uploads_dir: Path | None, archive: Path) -> None:
    """Bring back the database (through the backup API, so open connections stay valid)
    and the uploads from ``archive``."""
    database = sqlite_path(database_uri)
    if not archive.is_file():
        raise BackupError(f"no backup at {archive}")
    with tempfile.TemporaryDirectory() as work, tarfile.open(archive, "r:gz") as tar:
        tar.extractall(work, filter="data")  # refuses absolute paths and links out
        snapshot = Path(work) / DATABASE_NAME
        if not snapshot.is_file():
            raise BackupError(f"{archive} holds no {DATABASE_NAME}")
        database.parent.mkdir(parents=True, exist_ok=True)
        _online_copy(snapshot, database)
        saved_uploads = Path(work) / UPLOADS_NAME
        if uploads_dir is not None and saved_uploads.is_dir():
            if uploads_dir.exists():
                shutil.rmtree(uploads_dir)
            shutil.copytree(saved_uploads, uploads_dir)
