"""Profile and language settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf
from wtforms.validators import ValidationError

from ..forms import LibraryFields
from ..forms import Required
from ..forms import display_name_field
from ..forms import email_field
from ..models import TIMEZONES

TIMEZONE_CHOICES = [
    SelectChoice("Asia/Jakarta", _l("WIB (Western Indonesia, UTC+7)")),
    SelectChoice("Asia/Makassar", _l("WITA (Central Indonesia, UTC+8)")),
    SelectChoice("Asia/Jayapura", _l("WIT (Eastern Indonesia, UTC+9)")),
]
LANGUAGE_CHOICES = [SelectChoice("id", "Bahasa Indonesia"), SelectChoice("en", "English")]


class ProfileForm(LibraryFields):
    library_required = False

    display_name = display_name_field()
    email = email_field()
    timezone = SelectField(
        _l("Time zone"),
        choices=TIMEZONE_CHOICES,
        validate_choice=False,
        validators=[AnyOf(TIMEZONES, message=_l("Choose a time zone from the list."))],
    )
    language = SelectField(
        _l("Language"),
        choices=LANGUAGE_CHOICES,
        validate_choice=False,
        validators=[AnyOf(("id", "en"), message=_l("Choose a language from the list."))],
    )

    current_password = PasswordField(
        _l("Current password"),
        description=_l("Needed only to change the e-mail address."),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    @property
    def email_changes(self) -> bool:
        return (
            bool(self.email.data) and self.user is not None and self.email.data != self.user.email
        )

    # Whether another member uses the new address is never said here: the
    # confirmation mail tells the address's owner (forum/auth/recovery.py).
    def validate_current_password(self, field):
        if self.email_changes and not field.data:
            raise ValidationError(_l("Enter your current password to change the e-mail address."))


class LanguageForm(FlaskForm):
    lang = SelectField(
        _l("Language"),
        choices=LANGUAGE_CHOICES,
        validate_choice=False,
        validators=[AnyOf(("id", "en"), message=_l("Choose a language from the list."))],
    )


class DeleteAccountForm(FlaskForm):
    """Deleting an account cannot be undone: the member confirms with their password."""

    password = PasswordField(_l("Your password"), validators=[Required()])
