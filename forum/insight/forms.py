"""Forms for meetings, linking threads to them, and the dashboard's period and region."""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import DateField
from wtforms import RadioField
from wtforms import SelectField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.validators import StopValidation
from wtforms.validators import ValidationError
from wtforms.widgets import Select

from ..forms import CountField
from ..forms import LineField
from ..forms import Required
from ..forms import TagsField
from ..forms import regency_choices
from ..forms import strip
from ..permissions import covers_region
from ..permissions import may_record_in
from ..regions import PROVINCE_PREFIX
from ..regions import Region
from ..regions import regions
from .models import LINK_RELATIONS
from .models import MEETING_KINDS
from .texts import MEETING_KIND_LABELS
from .texts import RELATION_LABELS

MAX_SUMMARY = 20_000
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


class _OwnMessage:
    """Parse the submitted text with ``parse``, which raises ValueError with our message.

    WTForms' own parse messages are English only. One message is enough, so a
    value that does not parse is not also reported as missing.
    """

    def parse(self, text: str):
        raise NotImplementedError

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0].strip():
            self.data = self.parse(valuelist[0].strip())

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


class LocalDateField(_OwnMessage, DateField):
    """A YYYY-MM-DD date (what the browser's date picker sends)."""

    def parse(self, text: str) -> date:
        try:
            value = date.fromisoformat(text)
        except ValueError:
            raise ValueError(_l("Enter a date as YYYY-MM-DD.")) from None
        if not EARLIEST <= value <= LATEST:
            raise ValueError(_l("Enter a date between 2000 and 2100."))
        return value


class MeetingForm(FlaskForm):
    """Record or correct a meeting; optionally post its summary as a practice thread."""

    title = LineField(
        _l("Title"),
        filters=[strip],
        validators=[
            Required(),
            Length(min=5, max=150, message=_l("Between %(min)d and %(max)d characters.")),
        ],
    )
    kind = RadioField(
        _l("Kind of meeting"),
        choices=[SelectChoice(kind, MEETING_KIND_LABELS[kind]) for kind in MEETING_KINDS],
        default="peer_learning",
        validate_choice=False,  # WTForms' own message is English only
        validators=[
            Required(message=_l("Choose the kind of meeting.")),
            AnyOf(MEETING_KINDS, message=_l("Choose the kind of meeting.")),
        ],
    )
    starts_on = LocalDateField(_l("First day"), validators=[Required()])
    ends_on = LocalDateField(
        _l("Last day"),
        description=_l("Leave empty for a one-day meeting."),
        validators=[Optional()],
    )
    place = LineField(
        _l("Place"),
        filters=[strip],
        description=_l("e.g. Balai Desa Sukamaju"),
        validators=[Required(), Length(max=200, message=_l("At most %(max)d characters."))],
    )
    region = SelectField(_l("Kabupaten/kota"), validate_choice=False, validators=[Required()])
    participants = CountField(
        _l("Number of participants"),
        validators=[
            Required(),
            NumberRange(
                min=1, max=100_000, message=_l("Between %(min)d and %(max)d participants.")
            ),
        ],
    )
    speakers = LineField(
        _l("Speakers"),
        filters=[strip],
        description=_l("Names and roles, separated by commas."),
        validators=[Length(max=500, message=_l("At most %(max)d characters."))],
    )
    summary = TextAreaField(
        _l("Summary"),
        description=_l("You can use Markdown: **bold**, *italic*, lists, [links](https://...)."),
        validators=[Length(max=MAX_SUMMARY, message=_l("At most %(max)d characters."))],
    )
    post_summary = BooleanField(_l("Also post the summary as a best-practice thread"))
    summary_tags = TagsField(_l("Tags for the summary thread"))

    def __init__(self, *args, recorder=None, **kwargs):
        """``recorder``: the facilitator, offered only the kabupaten/kota of their regions."""
        super().__init__(*args, **kwargs)
        self.region.choices = [
            choice
            for choice in regency_choices()
            if not choice.value or recorder is None or may_record_in(recorder, choice.value)
        ]

    def validate_region(self, field):
        # One outside the recorder's regions is for the rule to refuse (403), not the form.
        if field.data and field.data not in regions().regencies:
            raise ValidationError(_l("Choose a kabupaten/kota from the list."))

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The last day cannot be before the first day."))

    def validate_summary(self, field):
        if self.post_summary.data and not (field.data or "").strip():
            raise ValidationError(_l("Write the summary to post it as a thread."))

    @property
    def tag_list(self) -> list[str]:
        return self.summary_tags.tag_list


_THREAD_NUMBER = re.compile(r"^#?(\d{1,10})$")
_THREAD_URL = re.compile(r"/threads/(\d{1,10})(?:[/?#]|$)")


def thread_number(text: str) -> int | None:
    """``"42"``, ``"#42"`` or a pasted ``https://.../threads/42?page=2`` -> 42."""
    text = (text or "").strip()
    match = _THREAD_NUMBER.match(text) or _THREAD_URL.search(text)
    return int(match.group(1)) if match else None


class LinkThreadForm(FlaskForm):
    """Link a thread to a meeting by its number or its address."""

    thread_id = LineField(
        _l("Thread number or address"),
        filters=[strip],
        description=_l("e.g. 42, or the thread's address copied from the browser"),
        validators=[Required(), Length(max=300, message=_l("At most %(max)d characters."))],
    )
    relation = SelectField(
        _l("How it relates to the meeting"),
        choices=[
            SelectChoice(relation, RELATION_LABELS[relation])
            for relation in LINK_RELATIONS
            if relation != "summary"
        ],
        default="discussed",
        validate_choice=False,
        validators=[AnyOf(LINK_RELATIONS, message=_l("Choose from the list."))],
    )

    def validate_thread_id(self, field):
        if field.data and thread_number(field.data) is None:
            raise ValidationError(_l("Enter a thread number or a thread's address."))


@cache
def _all_region_choices() -> tuple[SelectChoice, ...]:
    return tuple(dashboard_region_choices())


def dashboard_region_choices() -> list[SelectChoice]:
    """All of Indonesia, then each province (as a whole, then its kabupaten/kota)."""
    choices = [SelectChoice("", _l("All regions"))]
    for province in sorted(regions().provinces.values(), key=lambda p: p.name):
        choices.append(
            SelectChoice(
                PROVINCE_PREFIX + province.slug,
                _l("All of %(province)s", province=province.name),
                optgroup=province.name,
            )
        )
        choices += [
            SelectChoice(r.slug, r.short_name, optgroup=province.name)
            for r in sorted(regions().regencies_of(province.slug), key=lambda r: r.short_name)
        ]
    return choices


class QuickSelect(Select):
    """WTForms' select, its HTML kept per language, options and selected value.

    The dashboard's region list has some 550 options, drawn on every view; they
    only change with the language (their labels) and the viewer's scope.
    """

    _drawn: dict = {}

    def __call__(self, field, **kwargs):
        try:
            key = (
                str(get_locale()),
                field.name,
                field.data,
                tuple(sorted(kwargs.items())),
                tuple(choice.value for choice in field.choices),
            )
            hash(key)
        except TypeError:  # an attribute that cannot be a key: draw it every time
            return super().__call__(field, **kwargs)
        html = self._drawn.get(key)
        if html is None:
            if len(self._drawn) > 200:
                self._drawn.clear()
            html = self._drawn[key] = super().__call__(field, **kwargs)
        return html


class PeriodForm(FlaskForm):
    """The dashboard's filter, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    date_from = LocalDateField(_l("From"), name="from", validators=[Optional()])
    date_to = LocalDateField(_l("To"), name="to", validators=[Optional()])
    region = SelectField(_l("Region"), validate_choice=False, widget=QuickSelect())

    def __init__(self, *args, viewer=None, **kwargs):
        """``viewer``: offered only the regions within their scope."""
        super().__init__(*args, **kwargs)
        choices = _all_region_choices()
        if viewer is not None and not covers_region(viewer, Region()):  # else: all of them
            choices = [c for c in choices if covers_region(viewer, Region.parse(c.value))]
        self.region.choices = list(choices)

    def validate_region(self, field):
        if field.data and Region.from_value(field.data) is None:
            raise ValidationError(_l("Choose a region from the list."))

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end of the period cannot be before its start."))
