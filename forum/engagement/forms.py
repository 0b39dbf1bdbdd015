"""The notification settings form: for each kind, in the app and in the e-mail digest."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms import SubmitField

from .models import NOTIFICATION_KINDS


class NotificationSettingsForm(FlaskForm):
    """Two boxes per kind: ``<kind>_in_app`` and ``<kind>_email``."""

    submit = SubmitField(_l("Save"))

    def choices(self) -> dict[str, tuple[bool, bool]]:
        return {
            kind: (self[f"{kind}_in_app"].data, self[f"{kind}_email"].data)
            for kind in NOTIFICATION_KINDS
        }

    @staticmethod
    def initial(settings: dict[str, tuple[bool, bool]]) -> dict[str, bool]:
        data = {}
        for kind, (in_app, email) in settings.items():
            data[f"{kind}_in_app"] = in_app
            data[f"{kind}_email"] = email
        return data


for _kind in NOTIFICATION_KINDS:
    setattr(NotificationSettingsForm, f"{_kind}_in_app", BooleanField(_l("In Serambi")))
    setattr(NotificationSettingsForm, f"{_kind}_email", BooleanField(_l("In the e-mail digest")))
