"""Thread and post forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import RadioField
from wtforms import SubmitField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.validators import Regexp
from wtforms.widgets import HiddenInput

from ..attachments.forms import AttachmentFields
from ..forms import CountField
from ..forms import LineField
from ..forms import Required
from ..forms import TagsField
from ..forms import strip
from ..models import THREAD_KINDS
from ..partners.forms import NeedFields
from ..sections import SECTIONS

MAX_BODY = 20_000
MAX_SECTION = 5_000
MAX_PARTICIPANTS = 1_000_000

KIND_CHOICES = [
    SelectChoice("practice", _l("Best practice")),
    SelectChoice("challenge", _l("Challenge")),
]


def redact_field():
    """On a facilitator's edit of a flagged post: hide the versions before this edit."""
    return BooleanField(
        _l("Redact the earlier versions (for privacy)"),
        description=_l(
            "Others will see “edited for privacy” instead of their text; facilitators still can."
        ),
        default=True,
    )


def body_field(label=None):
    return TextAreaField(
        label or _l("Text"),
        description=_l("You can use Markdown: **bold**, *italic*, lists, [links](https://...)."),
        validators=[
            Required(),
            Length(max=MAX_BODY, message=_l("At most %(max)d characters.")),
        ],
    )


def client_key_field():
    """The key the site's JS makes on the phone for one post (a UUID): sent twice, posted once."""
    return LineField(
        widget=HiddenInput(),
        filters=[lambda value: value or None],
        validators=[
            Optional(),
            Regexp(r"^[A-Za-z0-9-]{8,64}$", message=_l("This form is damaged: reload the page.")),
        ],
    )


class ThreadFields(NeedFields, AttachmentFields, FlaskForm):
    title = LineField(
        _l("Title"),
        filters=[strip],
        validators=[
            Required(),
            Length(min=5, max=200, message=_l("Between %(min)d and %(max)d characters.")),
        ],
    )
    body = body_field()
    tags = TagsField()
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Post"))

    @property
    def tag_list(self) -> list[str]:
        return self.tags.tag_list


def _section_field(section):
    if section.is_number:
        return CountField(
            section.label,
            description=section.hint,
            validators=[
                Optional(),
                NumberRange(
                    min=1, max=MAX_PARTICIPANTS, message=_l("Between %(min)d and %(max)d.")
                ),
            ],
        )
    return TextAreaField(
        section.label,
        description=section.hint,
        filters=[strip],
        validators=[Length(max=MAX_SECTION, message=_l("At most %(max)d characters."))],
    )


# One optional field per report section, named like the Thread column.
for _section in SECTIONS:
    setattr(ThreadFields, _section.name, _section_field(_section))
del _section


def section_data(form) -> dict:
    return {section.name: form[section.name].data for section in SECTIONS}


def new_thread_fields(form) -> dict:
    """A valid new-thread form as ``threads.service.create_thread``'s arguments."""
    return {
        "kind": form.kind.data,
        "title": form.title.data,
        "body": form.body.data,
        "tags": form.tag_list,
        "sections": section_data(form),
    }


class ThreadEditForm(ThreadFields):
    redact_earlier = redact_field()  # shown only when a facilitator edits a flagged post


class ThreadForm(ThreadFields):
    save_draft = SubmitField(_l("Save draft"))
    client_key = client_key_field()
    kind = RadioField(
        _l("Kind"),
        choices=KIND_CHOICES,
        default="practice",
        validate_choice=False,  # WTForms' own message is English only
        validators=[
            Required(message=_l("Choose a best practice or a challenge.")),
            AnyOf(THREAD_KINDS, message=_l("Choose a best practice or a challenge.")),
        ],
    )


class ReplyForm(AttachmentFields, FlaskForm):
    body = body_field(_l("Your reply"))
    submit = SubmitField(_l("Send reply"))
    save_draft = SubmitField(_l("Save draft"))
    client_key = client_key_field()


class PostEditForm(AttachmentFields, FlaskForm):
    body = body_field()
    redact_earlier = redact_field()  # shown only when a facilitator edits a flagged post


class SolveForm(FlaskForm):
    """The accepted answer's post id; empty clears it."""

    post_id = LineField(
        filters=[strip],
        validators=[
            Regexp(
                r"^\d{0,10}$",
                message=_l("Only a visible reply in this thread can be the accepted answer."),
            )
        ],
    )
