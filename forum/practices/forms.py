"""The verification summary, and the choice of a book of good practices."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import SelectField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf
from wtforms.validators import Length
from wtforms.validators import Optional

from ..forms import Required
from ..forms import strip
from ..insight.forms import PeriodForm
from .service import SUMMARY_MAX


class VerifyForm(FlaskForm):
    summary = TextAreaField(
        _l("Summary"),
        description=_l("What worked, for whom, and what it costs. Markdown works."),
        filters=[strip],
        validators=[
            Required(),
            Length(max=SUMMARY_MAX, message=_l("At most %(max)d characters.")),
        ],
    )


class CompilationForm(PeriodForm):
    """Region and period as on the dashboard (``region``, ``from``, ``to``), and more."""

    verified = BooleanField(_l("Verified practices only"), false_values=("", "0", "false"))
    format = SelectField(
        _l("Format"),
        choices=[SelectChoice("", _l("Page to print (HTML)")), SelectChoice("pdf", "PDF")],
        validate_choice=False,
        validators=[Optional(), AnyOf(("pdf",), message=_l("Choose from the list."))],
    )
