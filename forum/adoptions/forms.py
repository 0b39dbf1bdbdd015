"""The "Kami mencoba ini" form and the two challenge forms (link a practice, solved by it)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional

from ..attachments.forms import AttachmentFields
from ..forms import CountField
from ..forms import LineField
from ..forms import Required
from ..forms import strip
from ..insight.forms import LocalDateField
from .models import ADOPTION_STATUSES
from .texts import STATUS_LABELS

MAX_TEXT = 5_000
MAX_PARTICIPANTS = 1_000_000


def _text(label, description, *validators):
    return TextAreaField(
        label,
        description=description,
        filters=[strip],
        validators=[*validators, Length(max=MAX_TEXT, message=_l("At most %(max)d characters."))],
        render_kw={"rows": 4},
    )


class AdoptionForm(AttachmentFields, FlaskForm):
    """What a library tells about trying a practice; saved again as it goes on."""

    status = RadioField(
        _l("Where are you with it?"),
        choices=[SelectChoice(status, STATUS_LABELS[status]) for status in ADOPTION_STATUSES],
        default="trying",
        validate_choice=False,  # WTForms' own message is English only
        validators=[
            Required(message=_l("Choose how far your library is.")),
            AnyOf(ADOPTION_STATUSES, message=_l("Choose how far your library is.")),
        ],
    )
    started_on = LocalDateField(
        _l("Started on (or when you plan to start)"), validators=[Required()]
    )
    adapted = _text(
        _l("What you adapted"),
        _l("What you changed to fit your village: the day, the place, the materials, who helps."),
        Required(),
    )
    result = _text(
        _l("Result (optional)"),
        _l("What happened: who came, what changed, what you would do differently."),
        Optional(),
    )
    participants = CountField(
        _l("Participants (optional)"),
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_PARTICIPANTS, message=_l("Between %(min)d and %(max)d.")),
        ],
    )


class PracticeLinkForm(FlaskForm):
    """A practice for a challenge, by its number or its address."""

    practice = LineField(
        _l("Practice (its number or its address)"),
        description=_l("E.g. 12 or the address of the practice's page."),
        filters=[strip],
        validators=[Required(), Length(max=300, message=_l("At most %(max)d characters."))],
    )


class SolvedByForm(FlaskForm):
    """The linked practice that solves the challenge (its thread number)."""

    practice = LineField(
        filters=[strip],
        validators=[Required(), Length(max=20, message=_l("At most %(max)d characters."))],
    )
