"""The attachment rules, each written once: check and store uploads, show, hide, delete, purge.

An upload is read, checked by content and re-encoded in memory first, in a
bounded child process and with no transaction open (:func:`prepare`, after
:func:`end_read_transaction`); only then are its files written, and the session remembers
them: if the transaction does not commit, they are deleted again, so a refused
or failed post never leaves a half-stored file. Removing a file waits for the
commit that removes its row. Callers commit, as everywhere.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from .. import events
from ..extensions import db
from ..models import Post
from ..models import Thread
from ..models import User
from ..models import utcnow
from ..moderation.models import ModerationAction
from ..permissions import Refused
from ..permissions import can_see_post
from ..permissions import check
from ..permissions import is_moderator
from ..permissions import why_not_edit
from ..permissions import why_not_moderate_thread
from ..refusals import Refusal
from .inspect import Rejected
from .models import Attachment
from .prepare import Prepared
from .prepare import Rules
from .prepare import prepare_upload
from .prepare import sanitize_name  # noqa: F401 - the forms name refused files with it
from .storage import Storage
from .storage import get_storage
from .storage import new_key

WRITTEN = "attachments_written"  # session.info: files written in this transaction
TO_REMOVE = "attachments_to_remove"  # session.info: files to delete once it commits
log = logging.getLogger(__name__)


def limits() -> dict[str, int]:
    config = current_app.config
    return {
        "max_files": config["ATTACHMENT_MAX_FILES"],
        "max_file_bytes": config["ATTACHMENT_MAX_FILE_BYTES"],
        "max_post_bytes": config["ATTACHMENT_MAX_POST_BYTES"],
    }


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def read_upload(upload) -> bytes:
    """The bytes of an uploaded file, refused when over the per-file limit (never read whole)."""
    max_bytes = limits()["max_file_bytes"]
    data = upload.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise Rejected(
            gettext(
                "%(name)s is larger than %(limit)s.",
                name=upload.filename or "?",
                limit=megabytes(max_bytes),
            )
        )
    return data


def rules() -> Rules:
    """The per-file limits, from the ``ATTACHMENT_*`` settings."""
    config = current_app.config
    return Rules(
        max_side=config["ATTACHMENT_IMAGE_MAX_SIDE"],
        thumb_side=config["ATTACHMENT_THUMB_SIDE"],
        max_pixels=config["ATTACHMENT_MAX_PIXELS"],
        cpu_seconds=config["ATTACHMENT_CHECK_CPU_SECONDS"],
        memory_bytes=config["ATTACHMENT_CHECK_MEMORY_MB"] * 1024 * 1024,
        wall_seconds=config["ATTACHMENT_CHECK_WALL_SECONDS"],
    )


def prepare(data: bytes, filename: str | None, caption: str = "") -> Prepared:
    """Check one file by its content and re-encode it, bounded; :class:`Rejected` with the
    reason. No database access (see :func:`end_read_transaction`)."""
    return prepare_upload(data, filename, caption, rules())


def end_read_transaction() -> None:
    """End the request's transaction before files are checked, so no lock is held meanwhile.

    A POST's first query (loading the member, the thread) begins SQLite's transaction
    ``IMMEDIATE``: the write lock is held from there to the commit. Checking a file
    takes up to seconds, so it must happen with no transaction open; nothing may have
    been written yet (the write transaction begins after the checks). Loaded rows are
    expired and read again, fresh, by the write that follows.
    """
    session = db.session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("files are checked before anything is written, never after")
    if session.in_transaction():
        session.rollback()


def _write(storage: Storage, extension: str, data: bytes) -> str:
    key = new_key(extension)
    db.session.info.setdefault(WRITTEN, []).append((storage, key))
    storage.save(key, data)
    return key


def attach(post: Post, uploader: User, files: list[Prepared]) -> list[Attachment]:
    """Store checked files on a post (the count counts what the post already has)."""
    if not files:
        return []
    check(why_not_edit(uploader, post))
    existing = len(post.attachments)
    max_files = limits()["max_files"]
    if existing + len(files) > max_files:
        raise Rejected(
            _l(
                "A post can have at most %(max)d files; this one already has %(count)d.",
                max=max_files,
                count=existing,
            )
        )
    storage = get_storage()
    added = []
    for position, prepared in enumerate(files, start=existing):
        attachment = Attachment(
            uploader=uploader,
            kind=prepared.kind,
            content_type=prepared.content_type,
            name=prepared.name,
            caption=prepared.caption,
            size=len(prepared.data),
            width=prepared.width,
            height=prepared.height,
            text=prepared.text,
            position=position,
            storage_key=_write(storage, prepared.extension, prepared.data),
        )
        if prepared.thumb is not None:
            attachment.thumb_key = _write(storage, prepared.thumb.extension, prepared.thumb.data)
            attachment.thumb_width = prepared.thumb.width
            attachment.thumb_height = prepared.thumb.height
        if prepared.kept_key:  # its copy from before a preview goes once the post commits
            db.session.info.setdefault(TO_REMOVE, []).append((storage, prepared.kept_key))
        post.attachments.append(attachment)  # the post's search document changes with it
        added.append(attachment)
    db.session.flush()
    return added


def _remove_files_after_commit(attachment: Attachment) -> None:
    storage = get_storage()
    pending = db.session.info.setdefault(TO_REMOVE, [])
    pending += [(storage, key) for key in (attachment.storage_key, attachment.thumb_key) if key]


def delete(actor: User, attachment: Attachment) -> None:
    """Remove a file from a post (its author or a facilitator); the bytes go at commit."""
    post = attachment.post
    check(why_not_edit(actor, post))
    if actor.id != post.author_id:
        ModerationAction.record(
            actor, "delete_attachment", post=post, details=_log_details(attachment)
        )
    _remove_files_after_commit(attachment)
    post.attachments.remove(attachment)  # delete-orphan: the row goes, the post re-indexes
    db.session.flush()


def _log_details(attachment: Attachment) -> str:
    return f"#{attachment.id} {attachment.name}"[:200]


def hide(actor: User, attachment: Attachment, reason: str) -> bool:
    """Hide one file from members (facilitators still see it, marked); logged; restorable."""
    check(why_not_moderate_thread(actor, attachment.post.thread))
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("hiding needs a reason: its author is shown it")
    if attachment.hidden:
        return False
    attachment.hidden = True
    attachment.hidden_at = utcnow()
    attachment.hidden_by_id = actor.id
    attachment.hidden_reason = reason
    ModerationAction.record(
        actor,
        "hide_attachment",
        post=attachment.post,
        reason=reason,
        details=_log_details(attachment),
    )
    return True


def restore(actor: User, attachment: Attachment) -> bool:
    check(why_not_moderate_thread(actor, attachment.post.thread))
    if not attachment.hidden:
        return False
    attachment.hidden = False
    attachment.hidden_at = attachment.hidden_by_id = attachment.hidden_reason = None
    ModerationAction.record(
        actor, "restore_attachment", post=attachment.post, details=_log_details(attachment)
    )
    return True


# --- reading ---------------------------------------------------------------------------


def can_see(viewer, attachment: Attachment) -> bool:
    """Whoever may see the post; a hidden file only for facilitators and the post's author."""
    post = attachment.post
    if not can_see_post(viewer, post):
        return False
    if not attachment.hidden or is_moderator(viewer):
        return True
    return getattr(viewer, "is_authenticated", False) and viewer.id == post.author_id


def shown(post: Post, viewer) -> list[Attachment]:
    """The files of a post this viewer may see (already loaded with the page: no query)."""
    return [a for a in post.attachments if can_see(viewer, a)]


def load(attachment_id: int, viewer) -> Attachment:
    """The attachment, or :class:`Refused` as 404 when the viewer may not see it."""
    attachment = db.session.get(
        Attachment,
        attachment_id,
        options=[so.joinedload(Attachment.post).joinedload(Post.thread)],
    )
    if attachment is None or not can_see(viewer, attachment):
        raise Refused("not found", status=404)
    return attachment


# --- maintenance -----------------------------------------------------------------------


def purge(now=None) -> int:
    """Delete files hidden longer than ATTACHMENTS_PURGE_HIDDEN_DAYS and of withdrawn posts."""
    now = now or utcnow()
    days = current_app.config["ATTACHMENTS_PURGE_HIDDEN_DAYS"]
    withdrawn = sa.or_(Post.withdrawn_at.is_not(None), Thread.withdrawn_at.is_not(None))
    query = (
        sa.select(Attachment)
        .join(Attachment.post)
        .join(Post.thread)
        .where(
            sa.or_(
                sa.and_(Attachment.hidden, Attachment.hidden_at < now - timedelta(days=days)),
                withdrawn,
            )
        )
        .options(so.contains_eager(Attachment.post))
    )
    doomed = list(db.session.scalars(query))
    for attachment in doomed:
        _remove_files_after_commit(attachment)
        attachment.post.attachments.remove(attachment)
    db.session.flush()
    return len(doomed)


@dataclass
class CheckReport:
    missing: list[tuple[int, str]]  # (attachment id, key) whose file is gone
    orphans: list[str]  # stored keys no row names


def check_storage(*, delete_orphans: bool = False, min_orphan_age: float = 3600) -> CheckReport:
    """Compare rows and stored files; optionally delete orphans older than ``min_orphan_age`` s
    (younger ones may belong to an upload still in its transaction)."""
    import time

    storage = get_storage()
    known: dict[str, int] = {}
    for attachment_id, key, thumb in db.session.execute(
        sa.select(Attachment.id, Attachment.storage_key, Attachment.thumb_key)
    ):
        known[key] = attachment_id
        if thumb:
            known[thumb] = attachment_id
    missing = sorted((aid, key) for key, aid in known.items() if not storage.exists(key))
    orphans = [key for key in storage.keys() if key not in known]
    if delete_orphans:
        for key in orphans:
            path = storage.local_path(key)
            if path is None or time.time() - path.stat().st_mtime >= min_orphan_age:
                storage.delete(key)
    return CheckReport(missing=missing, orphans=orphans)


# --- keeping disk and database in step ---------------------------------------------------

_hooks_installed = False


def _after_commit(session) -> None:
    session.info.pop(WRITTEN, None)  # now they belong to committed rows
    for storage, key in session.info.pop(TO_REMOVE, []):
        try:
            storage.delete(key)
        except OSError:  # `flask attachments check` finds what is left
            log.exception("attachments: could not delete %s", key)


def _after_transaction_end(session, transaction) -> None:
    if transaction.parent is not None:
        return
    for storage, key in session.info.pop(WRITTEN, []):  # never committed: not ours to keep
        storage.delete(key)
    session.info.pop(TO_REMOVE, None)


def install_hooks() -> None:
    """Listen on every session once per process (several test apps share ``db.session``)."""
    global _hooks_installed
    if _hooks_installed:
        return
    sa.event.listen(db.session, "after_commit", _after_commit)
    sa.event.listen(db.session, "after_transaction_end", _after_transaction_end)
    _hooks_installed = True


def attach_written(post: Post, *, author: User, files=()) -> list[Attachment]:
    """Store the files that come with a post being written (listens to ``post_written``).

    A refused file raises :class:`~forum.refusals.Refusal` on the form's ``files``
    field; the write it came with is undone with it (nothing of the post is kept).
    """
    try:
        return attach(post, author, list(files))
    except Rejected as refusal:
        raise Refusal("files", refusal.reason) from refusal


def subscribe() -> None:
    """Store posted files when the thread service announces a written post."""
    events.post_written.connect(attach_written, weak=False)
