"""Thread and post forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms import StringField
from wtforms import SubmitField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf
from wtforms.validators import Length
from wtforms.validators import Regexp
from wtforms.validators import ValidationError

from ..forms import Required
from ..forms import strip
from ..models import THREAD_KINDS
from ..tags import MAX_TAGS_PER_THREAD
from ..tags import parse_tags

MAX_BODY = 20_000

KIND_CHOICES = [
    SelectChoice("practice", _l("Best practice")),
    SelectChoice("challenge", _l("Challenge")),
]


def body_field(label=None):
    return TextAreaField(
        label or _l("Text"),
        description=_l("You can use Markdown: **bold**, *italic*, lists, [links](https://...)."),
        validators=[
            Required(),
            Length(max=MAX_BODY, message=_l("At most %(max)d characters.")),
        ],
    )


class ThreadFields(FlaskForm):
    title = StringField(
        _l("Title"),
        filters=[strip],
        validators=[
            Required(),
            Length(min=5, max=200, message=_l("Between %(min)d and %(max)d characters.")),
        ],
    )
    body = body_field()
    tags = StringField(
        _l("Tags"),
        filters=[strip],
        description=_l("Separated by commas, at most 8, e.g. literasi anak, pojok baca"),
        validators=[Length(max=400, message=_l("At most %(max)d characters."))],
    )
    preview = SubmitField(_l("Preview"))
    submit = SubmitField(_l("Post"))

    def validate_tags(self, field):
        if len(parse_tags(field.data or "")) > MAX_TAGS_PER_THREAD:
            raise ValidationError(
                _l("At most %(count)d tags per thread.", count=MAX_TAGS_PER_THREAD)
            )

    @property
    def tag_list(self) -> list[str]:
        return parse_tags(self.tags.data or "")


class ThreadForm(ThreadFields):
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


class ReplyForm(FlaskForm):
    body = body_field(_l("Your reply"))


class PostEditForm(FlaskForm):
    body = body_field()


class SolveForm(FlaskForm):
    """The accepted answer's post id; empty clears it."""

    post_id = StringField(
        filters=[strip],
        validators=[
            Regexp(
                r"^\d{0,10}$",
                message=_l("Only a visible reply in this thread can be the accepted answer."),
            )
        ],
    )
