"""The form that creates a personal access token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms import SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf
from wtforms.validators import Length

from ..forms import LineField
from ..forms import Required
from ..forms import strip
from .models import TOKEN_SCOPES


class TokenForm(FlaskForm):
    name = LineField(
        _l("Name"),
        description=_l("What uses it, e.g. “WhatsApp group bot” or “District report”."),
        filters=[strip],
        validators=[
            Required(),
            Length(max=60, message=_l("At most %(max)d characters.")),
        ],
    )
    scope = RadioField(
        _l("What it may do"),
        choices=[
            SelectChoice("read", _l("Read only: threads, search, tags, meetings")),
            SelectChoice("write", _l("Read and write: post, reply, mark and flag as you")),
        ],
        default="read",
        validate_choice=False,  # WTForms' own message is English only
        validators=[
            Required(message=_l("Choose what the token may do.")),
            AnyOf(TOKEN_SCOPES, message=_l("Choose what the token may do.")),
        ],
    )
    submit = SubmitField(_l("Create token"))
