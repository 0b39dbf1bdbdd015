"""The ``files`` field (with a caption per file) that thread, reply and edit forms mix in.

Checking happens in the form, so a refused file is a form error next to the
field, the typed text stays, and nothing is stored: the form keeps the checked,
re-encoded files in ``prepared_files`` for the view to hand to the service.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import Field
from wtforms import MultipleFileField
from wtforms.validators import ValidationError

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

    def validate_files(self, field):
        from . import service

        limits = service.limits()
        captions = list(self.captions.data or [])
        chosen = [
            (upload, captions[index] if index < len(captions) else "")
            for index, upload in enumerate(field.data or [])
            if getattr(upload, "filename", None)
        ]
        self.prepared_files = []
        if not chosen:
            return
        if len(chosen) > limits["max_files"]:
            raise ValidationError(_l("At most %(max)d files per post.", max=limits["max_files"]))
        errors, total, prepared = [], 0, []
        for upload, caption in chosen:
            try:
                data = service.read_upload(upload)
                total += len(data)
                prepared.append(service.prepare(data, upload.filename, caption))
            except Rejected as refusal:
                name = service.sanitize_name(upload.filename, "")[:-1]
                errors.append(_l("%(name)s: %(reason)s", name=name, reason=refusal.reason))
        if total > limits["max_post_bytes"]:
            errors.append(
                _l(
                    "Together the files are larger than %(limit)s.",
                    limit=service.megabytes(limits["max_post_bytes"]),
                )
            )
        if errors:
            raise ValidationError(" ".join(str(error) for error in errors))
        self.prepared_files = prepared


def files_description(form, existing: int = 0) -> str:
    """The hint under the field, with how many files may still be added."""
    from . import service

    return str(form.files.description) % {"count": service.limits()["max_files"] - existing}
