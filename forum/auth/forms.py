"""Account forms: register, log in, change password, choose one from a reset link."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import PasswordField
from wtforms.validators import EqualTo
from wtforms.validators import Length
from wtforms.validators import Regexp
from wtforms.validators import ValidationError

from ..forms import LibraryFields
from ..forms import LineField
from ..forms import Required
from ..forms import display_name_field
from ..forms import email_field
from .service import email_taken
from .service import username_reserved
from .service import username_taken

USERNAME_PATTERN = r"^[a-z0-9_]{3,30}$"


def lower(value):
    return value.strip().lower() if isinstance(value, str) else value


def password_field(label):
    return PasswordField(
        label,
        # Said before typing, not only after a refusal.
        description=_l("At least 8 characters."),
        validators=[
            Required(),
            Length(min=8, max=128, message=_l("Between %(min)d and %(max)d characters.")),
        ],
    )


def confirm_field():
    return PasswordField(
        _l("Repeat the password"),
        validators=[Required(), EqualTo("password", message=_l("The passwords do not match."))],
    )


class RegisterForm(LibraryFields):
    username = LineField(
        _l("Username"),
        filters=[lower],
        description=_l("3–30 characters: lowercase letters, digits and _. Shown in links."),
        validators=[
            Required(),
            Regexp(
                USERNAME_PATTERN,
                message=_l("Use 3–30 characters: lowercase letters a–z, digits 0–9 and _."),
            ),
        ],
    )
    display_name = display_name_field()
    email = email_field()
    password = password_field(_l("Password"))
    confirm = confirm_field()

    def validate_username(self, field):
        if field.data and username_reserved(field.data):
            raise ValidationError(_l("This word is used by Serambi itself. Please choose another."))
        if field.data and username_taken(field.data):
            raise ValidationError(_l("This username is taken. Please choose another."))

    def validate_email(self, field):
        if field.data and email_taken(field.data):
            raise ValidationError(_l("This e-mail address is already registered."))


class LoginForm(FlaskForm):
    username = LineField(_l("Username"), filters=[lower], validators=[Required()])
    password = PasswordField(_l("Password"), validators=[Required()])
    remember = BooleanField(_l("Remember me on this device"))


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[Required()])
    password = password_field(_l("New password"))
    confirm = confirm_field()


class ForgotPasswordForm(FlaskForm):
    identifier = LineField(
        _l("Your username or e-mail address"),
        filters=[lower],
        validators=[Required(), Length(max=254, message=_l("At most %(max)d characters."))],
        render_kw={"autocapitalize": "none", "autocorrect": "off", "spellcheck": "false"},
    )


class ResetPasswordForm(FlaskForm):
    password = password_field(_l("New password"))
    confirm = confirm_field()
