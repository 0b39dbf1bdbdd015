"""The ``files`` field (with a caption per file) that thread, reply and edit forms mix in.

Checking happens in the form, so a refused file is a form error next to the
field, the typed text stays, and nothing is stored: the form keeps the checked,
re-encoded files in ``prepared_files`` for the view to hand to the service.
Counting files and bytes is a field check; decoding them (bounded, in a child
process) waits until every other field is valid and the read transaction is over.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import replace

from flask import has_request_context
from flask import request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import Field
from wtforms import MultipleFileField
from wtforms.validators import ValidationError

from . import kept
from .inspect import Rejected

ACCEPT = "image/jpeg,image/png,image/webp,.heic,.heif,application/pdf,.pdf,.docx,.xlsx,.pptx,.odt"


class CaptionsField(Field):
    """The ``captions`` inputs, one per file slot, in the same order as the ``files`` inputs."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", list)
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        self.data = [str(value) for value in valuelist]


class AttachmentFields:
    """Mix into a FlaskForm: up to ATTACHMENT_MAX_FILES files, each with an optional caption."""

    files = MultipleFileField(
        _l("Photos and files"),
        description=_l(
            "Photos (JPEG, PNG, WebP) or documents (PDF, DOCX, XLSX, PPTX, ODT), "
            "at most %(count)d files."
        ),
    )
    captions = CaptionsField(_l("Caption (describes the photo for those who cannot see it)"))
    prepared_files: list = []
    kept_files: list = []  # kept.KeptFile: chosen before a preview, sent again as hidden fields
    _chosen_files: list = []

    def _chosen(self, field) -> list[tuple[object, str]]:
        """(upload, caption) for each file: those kept across a preview, then the new ones."""
        captions = list(self.captions.data or [])
        new = [
            (upload, captions[index] if index < len(captions) else "")
            for index, upload in enumerate(field.data or [])
            if getattr(upload, "filename", None)
        ]
        self.kept_files = []
        if has_request_context() and current_user.is_authenticated:
            self.kept_files = kept.load(request.form.getlist("kept_files"), current_user.id)
        return [(_KeptUpload(k.filename, k), k.caption) for k in self.kept_files] + new

    def validate_files(self, field):
        """The cheap checks: how many files and how many bytes (the reading is bounded)."""
        from . import service

        limits = service.limits()
        chosen = self._chosen(field)
        self.prepared_files, self._chosen_files = [], []
        if not chosen:
            return
        if len(chosen) > limits["max_files"]:
            raise ValidationError(_l("At most %(max)d files per post.", max=limits["max_files"]))
        errors, total, read = [], 0, []
        for upload, caption in chosen:
            try:
                data = _read(upload, limits["max_file_bytes"])
            except Rejected as refusal:
                errors.append(_refused(upload, refusal))
                continue
            total += len(data)
            read.append((upload, data, caption))
        if total > limits["max_post_bytes"]:
            errors.append(
                _l(
                    "Together the files are larger than %(limit)s.",
                    limit=service.megabytes(limits["max_post_bytes"]),
                )
            )
        if errors:
            raise ValidationError(" ".join(str(error) for error in errors))
        self._chosen_files = read

    def _keep_chosen(self) -> bool:
        """A preview: keep the chosen files for the form's next submit, since a browser
        cannot refill a file input. False if one cannot be attached."""
        if not self._chosen_files or not current_user.is_authenticated:
            return True
        errors, kept_files = [], []
        for upload, data, caption in self._chosen_files:
            if isinstance(upload, _KeptUpload):
                kept_files.append(upload.kept)
                continue
            try:
                kept_files.append(kept.keep(data, upload.filename, caption, current_user.id))
            except Rejected as refusal:
                errors.append(_refused(upload, refusal))
        self.kept_files = kept_files
        if errors:
            self.files.errors = [*self.files.errors, " ".join(str(error) for error in errors)]
        return not errors

    def validate(self, extra_validators=None):
        """Every other field first; the files are checked only when the rest is valid (a
        form with an empty text never pays for decoding photos), never for a preview,
        and with no database transaction open (see ``service.end_read_transaction``).
        A preview keeps the chosen files for the next submit instead (:mod:`.kept`)."""
        if not super().validate(extra_validators):
            return False  # files kept by an earlier preview stay (``kept_files``); new ones go
        preview = getattr(self, "preview", None)
        if preview is not None and preview.data:
            return self._keep_chosen()
        if not self._chosen_files:
            return True
        from . import service

        service.end_read_transaction()
        errors, prepared = [], []
        for upload, data, caption in self._chosen_files:
            try:
                ready = service.prepare(data, upload.filename, caption)
            except Rejected as refusal:
                errors.append(_refused(upload, refusal))
                if refusal.limit:  # the post is refused anyway: one limit is all it costs
                    break
                continue
            if isinstance(upload, _KeptUpload):
                ready = replace(ready, kept_key=upload.kept.key)
            prepared.append(ready)
        if errors:
            self.files.errors = [*self.files.errors, " ".join(str(error) for error in errors)]
            return False
        self.prepared_files = prepared
        return True


@dataclass(frozen=True)
class _KeptUpload:
    """A file kept across a preview, standing in for the upload it was."""

    filename: str
    kept: kept.KeptFile


def _read(upload, max_bytes: int) -> bytes:
    from . import service

    if isinstance(upload, _KeptUpload):
        data = kept.read(upload.kept)
        if len(data) > max_bytes:
            raise Rejected(
                gettext(
                    "%(name)s is larger than %(limit)s.",
                    name=upload.filename,
                    limit=service.megabytes(max_bytes),
                )
            )
        return data
    return service.read_upload(upload)


def _refused(upload, refusal: Rejected):
    from . import service

    name = service.sanitize_name(upload.filename, "")[:-1]
    return gettext("%(name)s: %(reason)s", name=name, reason=refusal.reason)


def files_description(form, existing: int = 0) -> str:
    """The hint under the field, with how many files may still be added."""
    from . import service

    return str(form.files.description) % {"count": service.limits()["max_files"] - existing}
