"""Where attachment bytes live: a small interface and the local-disk implementation.

Keys are random (``ab/ab12...ef.jpg``), made here, never from a member's file
name, so a name can never become a path. A multi-server deployment implements
the same five methods on an S3-compatible object store (see the README).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from flask import current_app

KEY_EXTENSIONS = ("jpg", "png", "webp", "pdf", "docx", "xlsx", "pptx", "odt")


def new_key(extension: str) -> str:
    """A random storage key; the first two characters spread files over 256 folders."""
    if extension not in KEY_EXTENSIONS:
        raise ValueError(f"unexpected extension {extension!r}")
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token}.{extension}"


def _valid_key(key: str) -> bool:
    folder, slash, name = key.partition("/")
    stem, dot, extension = name.partition(".")
    return (
        bool(slash and dot)
        and len(folder) == 2
        and len(stem) == 32
        and stem.startswith(folder)
        and all(c in "0123456789abcdef" for c in stem)
        and extension in KEY_EXTENSIONS
    )


class Storage(Protocol):
    def save(self, key: str, data: bytes) -> None: ...
    def read(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...
    def keys(self) -> Iterator[str]: ...
    def local_path(self, key: str) -> Path | None: ...


class LocalStorage:
    """Files on the local disk under ``root`` (``instance/uploads/`` by default)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not _valid_key(key):
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key

    def save(self, key: str, data: bytes) -> None:
        """Write atomically: a reader never sees half a file under its real name."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        with open(partial, "xb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(path)

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def keys(self) -> Iterator[str]:
        """Every stored key (leftover partial files are not keys)."""
        if not self.root.is_dir():
            return
        for path in sorted(self.root.glob("??/*")):
            key = f"{path.parent.name}/{path.name}"
            if path.is_file() and _valid_key(key):
                yield key

    def local_path(self, key: str) -> Path | None:
        return self._path(key)


def uploads_dir() -> Path:
    return Path(
        current_app.config.get("UPLOADS_DIR") or Path(current_app.instance_path) / "uploads"
    )


def get_storage() -> Storage:
    """The app's storage (one per app, made on first use)."""
    storage = current_app.extensions.get("attachment_storage")
    if storage is None:
        storage = current_app.extensions["attachment_storage"] = LocalStorage(uploads_dir())
    return storage
