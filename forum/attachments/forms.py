"""The ``files`` field (with a caption per file) that thread, reply and edit forms mix in.

Checking happens in the form, so a refused file is a form error next to the
field, the typed text stays, and nothing is stored: the form keeps the checked,
re-encoded files in ``prepared_files`` for the view to hand to the service.
Counting files and bytes is a field check; decoding them (bounded, in a child
process) waits until every other field is valid and the read transaction is over.
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
    _chosen_files: list = []

    def validate_files(self, field):
        """The cheap checks: how many files and how many bytes (the reading is bounded)."""
        from . import service

        limits = service.limits()
        captions = list(self.captions.data or [])
        chosen = [
            (upload, captions[index] if index < len(captions) else "")
            for index, upload in enumerate(field.data or [])
            if getattr(upload, "filename", None)
        ]
        self.prepared_files, self._chosen_files = [], []
        if not chosen:
            return
        if len(chosen) > limits["max_files"]:
            raise ValidationError(_l("At most %(max)d files per post.", max=limits["max_files"]))
        errors, total, read = [], 0, []
        for upload, caption in chosen:
            try:
                data = service.read_upload(upload)
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

    def validate(self, extra_validators=None):
        """Every other field first; the files are checked only when the rest is valid (a
        form with an empty text never pays for decoding photos), never for a preview,
        and with no database transaction open (see ``service.end_read_transaction``)."""
        if not super().validate(extra_validators):
            return False
        preview = getattr(self, "preview", None)
        if not self._chosen_files or (preview is not None and preview.data):
            return True
        from . import service

        service.end_read_transaction()
        errors, prepared = [], []
        for upload, data, caption in self._chosen_files:
            try:
                prepared.append(service.prepare(data, upload.filename, caption))
            except Rejected as refusal:
                errors.append(_refused(upload, refusal))
                if refusal.limit:  # the post is refused anyway: one limit is all it costs
                    break
        if errors:
            self.files.errors = [*self.files.errors, " ".join(str(error) for error in errors)]
            return False
        self.prepared_files = prepared
        return True


def _refused(upload, refusal: Rejected):
    from . import service

    name = service.sanitize_name(upload.filename, "")[:-1]
    return _l("%(name)s: %(reason)s", name=name, reason=refusal.reason)


def files_description(form, existing: int = 0) -> str:
    """The hint under the field, with how many files may still be added."""
    from . import service

    return str(form.files.description) % {"count": service.limits()["max_files"] - existing}
