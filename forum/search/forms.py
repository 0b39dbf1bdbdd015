"""The search form: read from the query string, no CSRF (it changes nothing)."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms import IntegerField
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange
from wtforms.validators import Optional

from ..forms import LineField
from ..forms import province_choices
from ..forms import strip

MAX_QUERY = 500


def clip(value):
    """Long pastes are cut, not refused: the engine caps queries too."""
    return value[:MAX_QUERY] if isinstance(value, str) else value


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = LineField(_l("Search"), filters=[strip, clip])
    kind = SelectField(
        _l("Kind"),
        choices=[
            SelectChoice("", _l("All")),
            SelectChoice("practice", _l("Best practices")),
            SelectChoice("challenge", _l("Challenges")),
        ],
        validate_choice=False,
    )
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("All")),
            SelectChoice("solved", _l("Solved")),
            SelectChoice("unsolved", _l("Unsolved")),
        ],
        validate_choice=False,
    )
    tag = LineField(_l("Tag"), filters=[strip, clip])
    author = LineField(
        _l("Author"),
        filters=[strip, clip],
        description=_l("A member's name, e.g. Rina Marlina"),
    )
    region = LineField(
        _l("Kabupaten/kota"),
        filters=[strip, clip],
        description=_l("e.g. Purwakarta or Kota Bandung"),
    )
    province = SelectField(_l("Province"), validate_choice=False)
    after = DateField(_l("From"), validators=[Optional()])
    before = DateField(_l("Until"), validators=[Optional()])
    in_ = SelectField(
        _l("Search in"),
        name="in",
        choices=[SelectChoice("", _l("Title and text")), SelectChoice("title", _l("Titles only"))],
        validate_choice=False,
    )
    thread = IntegerField(
        validators=[Optional(), NumberRange(min=1, max=2**31 - 1, message=_l("Unknown thread."))]
    )
    sort = SelectField(
        _l("Sort"),
        choices=[
            SelectChoice("relevance", _l("Most relevant")),
            SelectChoice("newest", _l("Newest")),
        ],
        validate_choice=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, formdata=request.args, **kwargs)
        self.province.choices = [SelectChoice("", _l("All"))] + province_choices()[1:]
