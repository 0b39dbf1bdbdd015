"""One uploaded file, from its bytes to what is stored: checked by content, re-encoded, bounded.

This is the whole inspection, and it is pure: no database, no request, no app
(the limits come in a :class:`Rules`). Callers run it *before* any write
transaction begins, so a slow file never holds the database's write lock.

Each file costs at most a bounded amount: the cheap header checks (type by magic
bytes, an image's stated width and height) run here and refuse most hostile files
for nothing; everything that unpacks or decodes (ZIP entries, pixels, PDF pages)
runs in a child process with a CPU, memory and wall-clock limit
(:mod:`.bounded`). A file that goes past a limit is refused like any other.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from PIL import Image

from . import bounded
from . import images
from . import inspect
from .inspect import Rejected
from .pdf import read_pdf

MAX_NAME = 100
MAX_CAPTION = 300
MEGABYTE = 1024 * 1024
log = logging.getLogger(__name__)
_UNSAFE_NAME = re.compile(r"[^\w .()+,&'-]+", re.UNICODE)


@dataclass(frozen=True)
class Rules:
    """The limits one file is checked against (the app's ``ATTACHMENT_*`` settings)."""

    max_side: int = 1600
    thumb_side: int = 400
    max_pixels: int = 32_000_000
    cpu_seconds: int = 3
    memory_bytes: int = 512 * MEGABYTE
    wall_seconds: float = 15.0

    @property
    def bounds(self) -> bounded.Bounds:
        return bounded.Bounds(self.cpu_seconds, self.memory_bytes, self.wall_seconds)


@dataclass(frozen=True)
class Prepared:
    """An upload that passed every check, re-encoded and ready to store."""

    name: str
    caption: str
    kind: str
    content_type: str
    extension: str
    data: bytes
    width: int | None = None
    height: int | None = None
    thumb: images.Encoded | None = None
    text: str | None = None
    upload_size: int = 0
    kept_key: str | None = None  # the copy kept across a preview, removed once this is stored


def sanitize_name(filename: str | None, extension: str) -> str:
    """A display name from the member's file name: no folders, no control or odd characters,
    and the extension of what the file really is."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", filename or ""))[-1]
    stem = base.rsplit(".", 1)[0] if "." in base.strip(".") else base
    stem = _UNSAFE_NAME.sub("_", "".join(ch for ch in stem if ch.isprintable()))
    stem = re.sub(r"[_\s]+", lambda m: " " if m.group().isspace() else "_", stem).strip(" ._-")
    stem = stem[: MAX_NAME - len(extension) - 1].rstrip(" ._-") or "lampiran"
    return f"{stem}.{extension}"


LIMIT_REASONS = {
    "time": _l("This file takes too long to open, so it is refused. Save it again more simply."),
    "memory": _l("This file needs too much memory to open, so it is refused."),
    "crash": _l("This file could not be opened safely, so it is refused."),
}


def prepare_upload(data: bytes, filename: str | None, caption: str, rules: Rules) -> Prepared:
    """Check one file by its content and re-encode it, within ``rules``' bounds.

    Raises :class:`Rejected` with the reason to show. Touches no database: call it
    before the transaction that stores the post begins.
    """
    file_type = inspect.sniff_header(data)  # cheap: magic bytes only
    if file_type.kind == "image":
        images.check_declared_size(data, file_type, rules.max_pixels)  # header only
    try:
        return bounded.run(check_and_encode, data, filename, caption, rules, bounds=rules.bounds)
    except bounded.LimitExceeded as exceeded:
        log.warning(
            "attachments: %s refused, past the %s limit (%s, %d bytes)",
            sanitize_name(filename, file_type.extension),
            exceeded.limit,
            exceeded,
            len(data),
        )
        raise Rejected(LIMIT_REASONS[exceeded.limit], limit=exceeded.limit) from None


def check_and_encode(data: bytes, filename: str | None, caption: str, rules: Rules) -> Prepared:
    """The unbounded part of :func:`prepare_upload`: run it only in a bounded child."""
    file_type = inspect.sniff(data)
    caption = " ".join((caption or "").split())[:MAX_CAPTION]
    if file_type.kind == "image":
        main, thumb = images.reencode(
            data,
            file_type,
            max_side=rules.max_side,
            thumb_side=rules.thumb_side,
            max_pixels=rules.max_pixels,
        )
        return Prepared(
            name=sanitize_name(filename, main.extension),
            caption=caption,
            kind="image",
            content_type=main.content_type,
            extension=main.extension,
            data=main.data,
            width=main.width,
            height=main.height,
            thumb=thumb,
            upload_size=len(data),
        )
    thumb = text = None
    if file_type == inspect.PDF:
        facts = read_pdf(data, preview_side=rules.thumb_side)
        thumb, text = facts.preview, facts.text or None
    return Prepared(
        name=sanitize_name(filename, file_type.extension),
        caption=caption,
        kind="document",
        content_type=file_type.content_type,
        extension=file_type.extension,
        data=data,
        thumb=thumb,
        text=text,
        upload_size=len(data),
    )


def draw_preview(data: bytes, is_pdf: bool, side: int) -> images.Encoded | None:
    """A stored file's preview again (forum/attachments/jobs.py), also in a bounded child:
    a photo is already re-encoded and upright when stored; a PDF page can be costly."""
    if is_pdf:
        return read_pdf(data, preview_side=side).preview
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return images.thumbnail(image, side)
