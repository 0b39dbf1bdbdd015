"""The attachments area's background work: make a thumbnail or a PDF preview again.

Uploads get theirs while they are checked (forum/attachments/prepare.py). When a
preview file is lost (a disk restored without it, a worker killed between writing
and committing), ``flask attachments check --remake-previews`` queues one
``attachments.preview`` job per file, keyed by the attachment and its lost file
(queued once); the job draws it again from the stored file in the same bounded
child process as an upload, and does nothing if the preview is already there.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..database import writing
from ..extensions import db
from ..jobs import enqueue
from ..jobs import job_kind
from . import bounded
from .models import Attachment
from .prepare import draw_preview
from .service import rules
from .storage import get_storage
from .storage import new_key

JOB_KIND = "attachments.preview"
PDF = "application/pdf"


def queue_preview(attachment: Attachment) -> bool:
    """Queue a new preview for ``attachment`` (in the caller's transaction)."""
    return enqueue(
        JOB_KIND, {"id": attachment.id}, key=f"preview:{attachment.id}:{attachment.thumb_key}"
    )


def queue_lost_previews(missing: list[tuple[int, str]]) -> int:
    """Queue a preview for each attachment whose lost file (``check_storage``) is its preview."""
    lost = {key for _id, key in missing}
    rows = db.session.scalars(
        sa.select(Attachment).where(Attachment.id.in_({aid for aid, _key in missing}))
    )
    return sum(queue_preview(row) for row in rows if row.thumb_key in lost and has_preview(row))


def has_preview(attachment: Attachment) -> bool:
    """Photos and PDFs have one; other documents never do."""
    return attachment.kind == "image" or attachment.content_type == PDF


@job_kind(JOB_KIND, max_attempts=3)
def remake_preview(payload: dict) -> None:
    attachment = db.session.get(Attachment, payload["id"])
    storage = get_storage()
    if attachment is None or not has_preview(attachment):
        return
    if attachment.thumb_key and storage.exists(attachment.thumb_key):
        return  # made already (a run before a crash, or the upload itself)
    limits = rules()
    drawn = bounded.run(
        draw_preview,
        storage.read(attachment.storage_key),
        attachment.content_type == PDF,
        limits.thumb_side,
        bounds=limits.bounds,
    )
    if drawn is None:
        return
    key = new_key(drawn.extension)
    storage.save(key, drawn.data)
    with writing():
        attachment = db.session.get(Attachment, payload["id"])
        attachment.thumb_key, attachment.thumb_width, attachment.thumb_height = (
            key,
            drawn.width,
            drawn.height,
        )
        db.session.commit()
