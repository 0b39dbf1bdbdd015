"""Forms for partners: a challenge's needs, offers and their answers, organisations, the board."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf
from wtforms.validators import Length
from wtforms.validators import ValidationError

from ..forms import LineField
from ..forms import Required
from ..forms import strip
from ..insight.forms import dashboard_region_choices
from ..regions import Region
from .models import NEED_KINDS
from .models import PARTNER_KINDS
from .texts import NEED_LABELS
from .texts import PARTNER_KIND_LABELS

MAX_DESCRIPTION = 300
MAX_WHAT = 500
MAX_NOTE = 500


def _need_choices():
    return [SelectChoice(kind, NEED_LABELS[kind]) for kind in NEED_KINDS]


class NeedFields(FlaskForm):
    """On the challenge form: the support it asks for (mixed into the thread forms)."""

    needs = SelectMultipleField(
        _l("Support this challenge needs (optional)"),
        choices=_need_choices(),
        validate_choice=False,  # WTForms' own message is English only
        description=_l("Partners (village government, agencies, companies) see it on the board."),
    )
    needs_description = LineField(
        _l("What exactly is needed"),
        filters=[strip],
        description=_l("e.g. 50 picture books for children, or a trainer for one day"),
        validators=[Length(max=MAX_DESCRIPTION, message=_l("At most %(max)d characters."))],
    )

    def validate_needs(self, field):
        if any(kind not in NEED_KINDS for kind in field.data or []):
            raise ValidationError(_l("Choose from the list."))

    def validate_needs_description(self, field):
        if field.data and not self.needs.data:
            raise ValidationError(_l("Tick the kind of support too."))


class OfferForm(FlaskForm):
    """A partner's offer of support on a challenge."""

    kind = SelectField(
        _l("Kind of support"),
        choices=_need_choices(),
        validate_choice=False,
        validators=[Required(), AnyOf(NEED_KINDS, message=_l("Choose from the list."))],
    )
    what = TextAreaField(
        _l("What you offer"),
        filters=[strip],
        description=_l("e.g. 40 children's books, delivered to the library"),
        render_kw={"rows": 3},
        validators=[Required(), Length(max=MAX_WHAT, message=_l("At most %(max)d characters."))],
    )
    when = LineField(
        _l("When"),
        filters=[strip],
        description=_l("e.g. in March 2027, or every Saturday"),
        validators=[Required(), Length(max=120, message=_l("At most %(max)d characters."))],
    )
    meeting = SelectField(
        _l("Committed at a stakeholder meeting (optional)"), validate_choice=False, default=""
    )

    def __init__(self, *args, meetings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting.choices = [SelectChoice("", _l("— not at a meeting —"))] + [
            SelectChoice(str(m.id), f"{m.title} ({m.starts_on.isoformat()})") for m in meetings
        ]

    def validate_meeting(self, field):
        if field.data and field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_l("Choose from the list."))

    @property
    def meeting_id(self) -> int | None:
        return int(self.meeting.data) if self.meeting.data else None


class AnswerForm(FlaskForm):
    """Accept or decline an offer, with an optional note for the partner."""

    note = TextAreaField(
        _l("Note for the partner (optional)"),
        filters=[strip],
        validators=[Length(max=MAX_NOTE, message=_l("At most %(max)d characters."))],
    )


def _region_choices():
    return [choice for choice in dashboard_region_choices() if choice.value]


class PartnerForm(FlaskForm):
    """An administrator records a partner organisation."""

    name = LineField(
        _l("Name of the organisation"),
        filters=[strip],
        validators=[
            Required(),
            Length(min=3, max=120, message=_l("Between %(min)d and %(max)d characters.")),
        ],
    )
    kind = SelectField(
        _l("Kind of organisation"),
        choices=[SelectChoice(kind, PARTNER_KIND_LABELS[kind]) for kind in PARTNER_KINDS],
        validate_choice=False,
        validators=[Required(), AnyOf(PARTNER_KINDS, message=_l("Choose from the list."))],
    )
    regions = SelectMultipleField(
        _l("Regions it serves"),
        validate_choice=False,
        description=_l("A whole province, or kabupaten/kota. Hold Ctrl to choose several."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.regions.choices = _region_choices()

    def validate_regions(self, field):
        if not field.data:
            raise ValidationError(_l("Choose at least one region."))
        if any(Region.from_value(value) is None for value in field.data):
            raise ValidationError(_l("Choose a region from the list."))


class BoardFilterForm(FlaskForm):
    """The board's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    region = SelectField(_l("Region"), validate_choice=False)
    kind = SelectField(
        _l("Kind of support"),
        choices=[SelectChoice("", _l("Any kind")), *_need_choices()],
        validate_choice=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.region.choices = dashboard_region_choices()

    def validate_region(self, field):
        if field.data and Region.from_value(field.data) is None:
            raise ValidationError(_l("Choose a region from the list."))

    def validate_kind(self, field):
        if field.data and field.data not in NEED_KINDS:
            raise ValidationError(_l("Choose from the list."))
