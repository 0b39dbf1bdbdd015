"""Moderation forms: reasons, moves, flags, flag decisions, suspensions, roles, log filters."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms import SelectField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf
from wtforms.validators import Length
from wtforms.validators import ValidationError

from ..forms import LineField
from ..forms import Required
from ..forms import strip
from ..models import THREAD_KINDS
from ..regions import Region
from ..threads.forms import KIND_CHOICES
from .models import ACTIONS
from .models import FLAG_REASONS
from .models import FLAG_RESOLUTIONS

FLAG_REASON_LABELS = {
    "spam": _l("Spam or advertising"),
    "off_topic": _l("Off-topic"),
    "rude": _l("Rude or hurtful"),
    "private_data": _l("Private data (phone numbers, addresses, children's names)"),
    "other": _l("Something else"),
}
RESOLUTION_LABELS = {
    "hide": _l("Hide it"),
    "keep": _l("Keep it: nothing is wrong"),
    "edit": _l("Edit it (I will fix it now)"),
}
ACTION_LABELS = {
    "pin": _l("Pinned a thread"),
    "unpin": _l("Unpinned a thread"),
    "lock": _l("Locked a thread"),
    "unlock": _l("Unlocked a thread"),
    "hide_thread": _l("Hid a thread"),
    "restore_thread": _l("Restored a thread"),
    "hide_post": _l("Hid a reply"),
    "restore_post": _l("Restored a reply"),
    "move": _l("Moved a thread"),
    "solve": _l("Chose an accepted answer"),
    "edit_post": _l("Edited a member's post"),
    "redact": _l("Redacted earlier versions of a post"),
    "unredact": _l("Showed a redacted version again"),
    "resolve_flags": _l("Resolved flags"),
    "suspend": _l("Suspended a member"),
    "unsuspend": _l("Lifted a suspension"),
    "set_role": _l("Changed a role"),
    "reset_link": _l("Made a password-reset link"),
    "hide_attachment": _l("Hid a file"),
    "restore_attachment": _l("Restored a file"),
    "delete_attachment": _l("Removed a member's file"),
    "set_scope": _l("Changed a facilitator's regions"),
    "approve_member": _l("Approved a new member"),
    "refuse_member": _l("Refused a new member"),
}
ROLE_CHOICES = [
    SelectChoice("librarian", _l("Librarian")),
    SelectChoice("facilitator", _l("Facilitator")),
]
MAX_REASON = 500
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")


def reason_field(label, description=None):
    return TextAreaField(
        label,
        filters=[strip],
        description=description,
        validators=[
            Required(),
            Length(max=MAX_REASON, message=_l("At most %(max)d characters.")),
        ],
        render_kw={"rows": 3},
    )


def note_field(label, description=None):
    return TextAreaField(
        label,
        filters=[strip],
        description=description,
        validators=[Length(max=MAX_REASON, message=_l("At most %(max)d characters."))],
        render_kw={"rows": 3},
    )


class HideForm(FlaskForm):
    reason = reason_field(
        _l("Why is it hidden?"), description=_l("The author sees this reason; others see nothing.")
    )


class MoveForm(FlaskForm):
    kind = RadioField(
        _l("Move to"),
        choices=KIND_CHOICES,
        validate_choice=False,  # WTForms' own message is English only
        validators=[
            Required(message=_l("Choose a best practice or a challenge.")),
            AnyOf(THREAD_KINDS, message=_l("Choose a best practice or a challenge.")),
        ],
    )


class FlagForm(FlaskForm):
    reason = SelectField(
        _l("What is wrong?"),
        choices=[SelectChoice(key, label) for key, label in FLAG_REASON_LABELS.items()],
        validate_choice=False,
        validators=[
            Required(message=_l("Choose what is wrong.")),
            AnyOf(FLAG_REASONS, message=_l("Choose what is wrong.")),
        ],
    )
    details = note_field(
        _l("Details"), description=_l("Only facilitators read this. Needed for “Something else”.")
    )

    def validate_details(self, field):
        if self.reason.data == "other" and not field.data:
            raise ValidationError(_l("Please say what is wrong."))


class ResolveForm(FlaskForm):
    action = RadioField(
        _l("Decision"),
        choices=[SelectChoice(key, label) for key, label in RESOLUTION_LABELS.items()],
        validate_choice=False,
        validators=[
            Required(message=_l("Choose a decision.")),
            AnyOf(FLAG_RESOLUTIONS, message=_l("Choose a decision.")),
        ],
    )
    note = note_field(
        _l("Note"), description=_l("When hiding, this is the reason the author sees.")
    )

    def validate_note(self, field):
        if self.action.data == "hide" and not field.data:
            raise ValidationError(_l("Say why it is hidden: its author will see this reason."))


class SuspendForm(FlaskForm):
    until = LineField(
        _l("Suspended until"),
        filters=[strip],
        description=_l(
            "The member can post again from this date. Leave it empty to suspend "
            "until a facilitator lifts it."
        ),
        render_kw={"type": "date"},
    )
    reason = reason_field(_l("Reason"), description=_l("The member sees this reason."))

    def __init__(self, *args, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or date.today()

    def validate_until(self, field):
        if not field.data:
            return
        try:
            if not DATE_PATTERN.fullmatch(field.data):
                raise ValueError(field.data)
            day = date.fromisoformat(field.data)
        except ValueError:
            raise ValidationError(_l("Enter a date as YYYY-MM-DD.")) from None
        if day <= self.today:
            raise ValidationError(_l("Choose a date after today."))
        if day.year > self.today.year + 10:
            raise ValidationError(_l("Choose a date within ten years, or leave it empty."))

    @property
    def until_day(self) -> date | None:
        """The validated date, or ``None`` for "until a facilitator lifts it"."""
        return date.fromisoformat(self.until.data) if self.until.data else None


class RoleForm(FlaskForm):
    role = RadioField(
        _l("Role"),
        choices=ROLE_CHOICES,
        validate_choice=False,
        validators=[
            Required(message=_l("Choose a role.")),
            AnyOf(("librarian", "facilitator"), message=_l("Choose a role.")),
        ],
    )


class RefuseForm(FlaskForm):
    reason = reason_field(
        _l("Why not"), description=_l("The person sees this reason. Be kind and clear.")
    )


class RegionListField(TextAreaField):
    """Region values, one per line, or the field repeated (``scope=a&scope=b``)."""

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = "\n".join(valuelist)

    @property
    def values(self) -> list[str]:
        lines = (line.strip().lower() for line in (self.data or "").splitlines())
        return list(dict.fromkeys(line for line in lines if line))


class ScopeForm(FlaskForm):
    """The regions a facilitator looks after, as region values."""

    scope = RegionListField(
        _l("Regions"),
        description=_l(
            "One per line: a kabupaten/kota as on the dashboard (purwakarta, kota-bandung), "
            "provinsi-jawa-barat for a whole province, or nasional for all of Indonesia."
        ),
        render_kw={"rows": 4, "autocapitalize": "none", "spellcheck": "false"},
    )

    def validate_scope(self, field):
        unknown = [value for value in field.values if Region.from_value(value) is None]
        if unknown:
            raise ValidationError(
                gettext(
                    "Not a region: %(values)s. Write it as on the dashboard.",
                    values=", ".join(unknown),
                )
            )

    @property
    def regions(self) -> list[Region]:
        return [Region.from_value(value) for value in self.scope.values]


class LogFilterForm(FlaskForm):
    """The log's filters, read from the query string (a GET form: no CSRF token)."""

    actor = LineField(
        _l("Facilitator (username)"),
        filters=[lambda v: v.strip().lower()[:30] if isinstance(v, str) else v],
    )
    action = SelectField(
        _l("Action"),
        choices=[SelectChoice("", _l("All actions"))]
        + [SelectChoice(key, label) for key, label in ACTION_LABELS.items()],
        validate_choice=False,
    )

    def __init__(self, *args, **kwargs):
        from flask import request

        kwargs.setdefault("formdata", request.args)
        kwargs.setdefault("meta", {"csrf": False})
        super().__init__(*args, **kwargs)

    @property
    def action_filter(self) -> str | None:
        return self.action.data if self.action.data in ACTIONS else None
