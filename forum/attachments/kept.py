"""Files chosen before a preview, kept for the form that comes back.

A browser cannot refill a file input, so without this a preview silently
dropped the photos a member had chosen. On a preview, each newly chosen file's
bytes are stored as they came (under a storage key no attachment row names, so
nothing serves them) and the form carries a signed token per file in a hidden
field (``kept_files``): the key, the file's name and caption, bound to the
member and valid for a day. Posting reads them back and checks them like any
upload; the stored copy is removed when the post commits (``Prepared.kept_key``)
and an abandoned one is an orphan that ``flask attachments check --delete-orphans``
removes after an hour.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadData
from itsdangerous import URLSafeTimedSerializer

from .images import check_declared_size
from .inspect import ZIP_CANDIDATE
from .inspect import sniff_header
from .storage import get_storage
from .storage import new_key

SALT = "serambi-kept-file"
MAX_AGE = 24 * 3600  # a preview left open over night still posts the next morning


@dataclass(frozen=True)
class KeptFile:
    """A file kept across a preview: what the form shows and sends back."""

    token: str
    key: str
    filename: str
    caption: str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def keep(data: bytes, filename: str, caption: str, member_id: int) -> KeptFile:
    """Store a chosen file's bytes for the next submit; :class:`Rejected` when its first
    bytes already say it cannot be attached (found at the preview, not after it)."""
    from . import service

    file_type = sniff_header(data)  # cheap: magic bytes, and an image's declared size
    if file_type.kind == "image":
        check_declared_size(data, file_type, service.rules().max_pixels)
    extension = "docx" if file_type is ZIP_CANDIDATE else file_type.extension  # storage only
    key = new_key(extension)
    get_storage().save(key, data)
    token = _serializer().dumps({"k": key, "n": filename[:200], "c": caption, "m": member_id})
    return KeptFile(token, key, filename[:200], caption)


def load(tokens: list[str], member_id: int) -> list[KeptFile]:
    """The member's own kept files the tokens name (forged, expired, foreign or gone: left out)."""
    kept, seen = [], set()
    storage = get_storage()
    for token in tokens[:20]:
        try:
            data = _serializer().loads(token, max_age=MAX_AGE)
        except BadData:
            continue
        if not isinstance(data, dict) or data.get("m") != member_id or data.get("k") in seen:
            continue
        key = str(data.get("k"))
        try:
            present = storage.exists(key)
        except ValueError:  # not a key the storage would ever make
            continue
        if present:
            seen.add(key)
            kept.append(KeptFile(token, key, str(data.get("n", "")), str(data.get("c", ""))))
    return kept


def read(kept: KeptFile) -> bytes:
    return get_storage().read(kept.key)
