"""Serving attachments (permission checked every time) and the delete, hide and restore buttons.

Every response says ``nosniff``; only images and PDFs are ``inline``, everything
else downloads. With ``ATTACHMENTS_ACCEL_REDIRECT`` (nginx) or ``USE_X_SENDFILE``
(Apache, lighttpd) the web server sends the bytes after the app has said yes.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import send_file
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_required

from ..extensions import db
from ..forms import EmptyForm
from ..permissions import check
from ..permissions import why_not_edit
from ..permissions import why_not_moderate_thread
from ..urls import edit_url
from ..urls import post_url
from . import service
from .storage import get_storage

bp = Blueprint("attachments", __name__)
INLINE_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")
THUMB_MAX_AGE = 30 * 24 * 3600  # a thumbnail never changes: a new file is a new id
FILE_MAX_AGE = 24 * 3600
# Served files are not pages: nothing in them may run or load anything.
FILE_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def _disposition(kind: str, name: str) -> str:
    # RFC 6266: a plain ASCII fallback and the real (UTF-8) name.
    fallback = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


def _send(key: str, content_type: str, *, disposition: str, max_age: int) -> Response:
    storage = get_storage()
    if not storage.exists(key):
        abort(404)
    accel = current_app.config.get("ATTACHMENTS_ACCEL_REDIRECT")
    path = storage.local_path(key)
    if accel:
        response = Response(status=200, mimetype=content_type)
        response.headers["X-Accel-Redirect"] = accel.rstrip("/") + "/" + key
    elif path is not None:
        # send_file honours USE_X_SENDFILE, and answers Range and conditional requests.
        response = send_file(path, mimetype=content_type, conditional=True, etag=True)
    else:
        response = Response(storage.read(key), mimetype=content_type)
    response.headers["Content-Disposition"] = disposition
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_POLICY
    response.cache_control.private = True  # a hidden file must not stay in a shared cache
    response.cache_control.max_age = max_age
    return response


@bp.route("/attachments/<id:attachment_id>/<name>")
def file(attachment_id: int, name: str):
    """The stored file (re-encoded for photos), under its sanitized name."""
    attachment = service.load(attachment_id, current_user)
    if name != attachment.name:
        return redirect(url_for(".file", attachment_id=attachment.id, name=attachment.name), 301)
    inline = attachment.content_type in INLINE_TYPES
    response = _send(
        attachment.storage_key,
        attachment.content_type,
        disposition=_disposition("inline" if inline else "attachment", attachment.name),
        max_age=FILE_MAX_AGE,
    )
    if attachment.is_pdf:
        # Browsers' PDF viewers do not run in a sandboxed document.
        response.headers["Content-Security-Policy"] = "default-src 'none'; object-src 'self'"
    return response


@bp.route("/attachments/<id:attachment_id>/thumb")
def thumb(attachment_id: int):
    """The 400 px thumbnail of a photo, or page 1 of a PDF."""
    attachment = service.load(attachment_id, current_user)
    if not attachment.thumb_key:
        abort(404)
    response = _send(
        attachment.thumb_key,
        "image/webp",
        disposition=_disposition("inline", attachment.name.rsplit(".", 1)[0] + ".webp"),
        max_age=THUMB_MAX_AGE,
    )
    response.cache_control.immutable = True
    return response


@bp.route("/attachments/<id:attachment_id>/delete", methods=["POST"])
@login_required
def delete(attachment_id: int):
    attachment = service.load(attachment_id, current_user)
    check(why_not_edit(current_user, attachment.post))
    if not EmptyForm().validate_on_submit():
        abort(400)
    back = edit_url(attachment.post)
    service.delete(current_user, attachment)
    db.session.commit()
    flash(_("The file is removed."), "success")
    return redirect(back)


@bp.route("/attachments/<id:attachment_id>/restore", methods=["POST"])
@login_required
def restore(attachment_id: int):
    attachment = service.load(attachment_id, current_user)
    check(why_not_moderate_thread(current_user, attachment.post.thread))
    if not EmptyForm().validate_on_submit():
        abort(400)
    if service.restore(current_user, attachment):
        db.session.commit()
        flash(_("The file is visible again."), "success")
    return redirect(post_url(attachment.post))
