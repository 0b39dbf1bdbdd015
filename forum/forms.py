"""Form pieces shared by several areas: one-line text, library/region fields, a bare POST form."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms import SelectField
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import Email
from wtforms.validators import Length
from wtforms.validators import StopValidation
from wtforms.validators import ValidationError
from wtforms.widgets import EmailInput

from .libraries import LibraryDetails
from .libraries import libraries_in
from .regions import regions
from .tags import MAX_TAGS_PER_THREAD
from .tags import parse_tags


def strip(value):
    return value.strip() if isinstance(value, str) else value


# C0 and C1 controls (CR, LF, tab, NUL, ESC ...), DEL, the Unicode line and
# paragraph separators, and the bidirectional embeddings, overrides and isolates
# that can make a name read backwards. None belongs in one line of text; CR/LF in
# a display name broke the e-mail digest's headers (issue 14).
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def has_control_characters(value) -> bool:
    return isinstance(value, str) and CONTROL_CHARACTERS.search(value) is not None


class LineField(StringField):
    """One line of text (a name, a title, a place, a search). Every single-line field is one.

    Control characters are refused before any other check, whatever the field's
    own validators: a value that passes ends up in headers, logs and exports.
    """

    def pre_validate(self, form):
        super().pre_validate(form)
        if has_control_characters(self.data):
            self.errors[:] = []
            raise StopValidation(
                _l("Write it on one line, without line breaks, tabs or other control characters.")
            )


class EmailLineField(LineField):
    """An e-mail address: one line, shown as an ``<input type=email>``."""

    widget = EmailInput()


def province_choices() -> list[SelectChoice]:
    return [SelectChoice("", _l("— choose a province —"))] + [
        SelectChoice(p.slug, p.name)
        for p in sorted(regions().provinces.values(), key=lambda p: p.name)
    ]


def regency_choices() -> list[SelectChoice]:
    """Kabupaten/kota grouped by province (rendered as <optgroup>s)."""
    choices = [SelectChoice("", _l("— choose a kabupaten/kota —"))]
    for province in sorted(regions().provinces.values(), key=lambda p: p.name):
        choices += [
            SelectChoice(
                r.slug,
                r.short_name,
                optgroup=province.name,
                render_kw={"data-province": province.slug},  # regions.js narrows by it
            )
            for r in sorted(regions().regencies_of(province.slug), key=lambda r: r.short_name)
        ]
    return choices


class CountField(IntegerField):
    """A whole number, refused in the member's language (WTForms' message is English).

    One message is enough: a value that does not parse is not also "out of range".
    """

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else "").strip()
        if text:
            try:
                self.data = int(text)
            except ValueError:
                raise ValueError(_l("Write a whole number, e.g. 25.")) from None

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


class TagsField(LineField):
    """Tags separated by commas, at most ``MAX_TAGS_PER_THREAD``; ``tag_list`` gives them parsed."""

    def __init__(self, label=None, **kwargs):
        kwargs.setdefault(
            "description", _l("Separated by commas, at most 8, e.g. literasi anak, pojok baca")
        )
        super().__init__(
            label or _l("Tags"),
            filters=[strip],
            validators=[Length(max=400, message=_l("At most %(max)d characters."))],
            **kwargs,
        )

    def post_validate(self, form, validation_stopped):
        if not validation_stopped and len(self.tag_list) > MAX_TAGS_PER_THREAD:
            self.errors.append(_l("At most %(count)d tags per thread.", count=MAX_TAGS_PER_THREAD))

    @property
    def tag_list(self) -> list[str]:
        return parse_tags(self.data or "")


class EmptyForm(FlaskForm):
    """A POST button (logout, withdraw, ...): only the CSRF token."""


class LibraryFields(FlaskForm):
    """The library and its place in the region chain: desa, kecamatan, kabupaten/kota, province.

    Required at registration (librarians); optional in the profile, where
    facilitators may belong to no library.
    """

    library_required = True

    library_name = LineField(
        _l("Library name"),
        filters=[strip],
        description=_l(
            "If your library is already on Serambi, choose its name from the list: "
            "one library, one entry."
        ),
        # regions.js fills the list with the chosen kabupaten/kota's libraries.
        render_kw={"list": "library-names", "autocomplete": "off"},
        validators=[Length(max=120, message=_l("At most %(max)d characters."))],
    )
    village = LineField(
        _l("Village (desa/kelurahan)"),
        filters=[strip],
        validators=[Length(max=80, message=_l("At most %(max)d characters."))],
    )
    district = LineField(
        _l("District (kecamatan)"),
        filters=[strip],
        validators=[Length(max=80, message=_l("At most %(max)d characters."))],
    )
    province = SelectField(_l("Province"), validate_choice=False)
    region = SelectField(
        _l("Kabupaten/kota"),
        validate_choice=False,
        render_kw={"data-narrowed-by": "province"},  # the province field's id: regions.js
    )
    # A library already registered in the kabupaten/kota, picked from the list the page
    # shows (its id), so a second librarian of the village joins it instead of a copy.
    library_pick = SelectField(_l("Libraries already registered here"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.province.choices = province_choices()
        self.region.choices = regency_choices()
        self.library_pick.choices = []

    @property
    def picked_library_id(self) -> int | None:
        value = self.library_pick.data or ""
        return int(value) if value.isdigit() and len(value) < 10 else None

    def library_details(self):
        """The library as the member described it (or picked it from the list)."""
        return LibraryDetails(
            name=self.library_name.data or "",
            village=self.village.data or "",
            district=self.district.data or "",
            regency=self.region.data or "",
            province=self.province.data or "",
            library_id=self.picked_library_id,
        )

    def _required(self, field, label) -> None:
        if self.picked_library_id is not None:  # the list's library has its name and place
            return
        if self.library_required and not field.data:
            raise ValidationError(_l("Please fill in %(field)s.", field=label))

    def validate_library_name(self, field):
        self._required(field, _l("the library name"))

    def validate_village(self, field):
        self._required(field, _l("the village"))

    def validate_library_pick(self, field):
        picked = self.picked_library_id
        if picked is not None and picked not in {lib.id for lib in libraries_in(self.region.data)}:
            raise ValidationError(
                _l("Choose a library of the chosen kabupaten/kota, or type your library's name.")
            )

    def validate_district(self, field):
        self._required(field, _l("the district"))

    def validate_province(self, field):
        self._required(field, _l("the province"))
        if field.data and field.data not in regions().provinces:
            raise ValidationError(_l("Choose a province from the list."))

    def validate_region(self, field):
        self._required(field, _l("the kabupaten/kota"))
        if not field.data:
            if self.library_name.data or self.picked_library_id is not None:
                raise ValidationError(_l("A library needs its kabupaten/kota."))
            return
        regency = regions().regencies.get(field.data)
        if regency is None:
            raise ValidationError(_l("Choose a kabupaten/kota from the list."))
        if self.province.data and regency.province.slug != self.province.data:
            raise ValidationError(
                _l(
                    "%(regency)s is in %(province)s, not in the chosen province: "
                    "choose the province again, or another kabupaten/kota.",
                    regency=regency.short_name,
                    province=regency.province.name,
                )
            )


def display_name_field():
    return LineField(
        _l("Display name"),
        filters=[strip],
        validators=[Required(), Length(max=80, message=_l("At most %(max)d characters."))],
    )


def email_field():
    return EmailLineField(
        _l("E-mail"),
        filters=[lambda v: v.strip().lower() if isinstance(v, str) else v],
        description=_l("Never shown to other members."),
        # Phones would otherwise capitalise the first letter and "correct" the address.
        render_kw={"autocapitalize": "none", "autocorrect": "off", "spellcheck": "false"},
        validators=[
            Required(),
            Email(message=_l("Enter a valid e-mail address.")),
            Length(max=254, message=_l("At most %(max)d characters.")),
        ],
    )


class Required(DataRequired):
    """DataRequired with our translated message (WTForms ships no Indonesian).

    Whitespace alone does not count as an answer.
    """

    def __init__(self, message=None):
        super().__init__(message=message or _l("This field is required."))
