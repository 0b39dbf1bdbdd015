"""A JSON body checked by the pages' own forms, so the API validates exactly as they do."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict


class Invalid(Exception):
    """A 400 with an error list per field (the same words the form shows under it)."""

    def __init__(self, fields: dict, message=None):
        super().__init__(str(fields))
        self.fields = fields
        self.message = message


NOT_TEXT = _l("Send text or a number here.")
NUL = _l("Remove the NUL character (\\0): it cannot be saved.")


def json_object() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Invalid({}, _l("Send a JSON object with Content-Type: application/json."))
    return data


def _text(name: str, value):
    """A JSON value as the text a form field would receive; a tag list is comma-joined."""
    if name == "tags" and isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = ", ".join(value)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Invalid({name: [NOT_TEXT]})
    text = str(value)
    if "\x00" in text:
        raise Invalid({name: [NUL]})
    return text


def validated(form_class, data: dict, names, renamed: dict | None = None):
    """``form_class`` filled from ``data`` (API names, renamed to the form's), validated.

    Fields left out or ``null`` are empty, as on a page; an invalid form raises
    :class:`Invalid` with the form's own messages under the API's field names.
    """
    renamed = renamed or {}
    formdata = MultiDict()
    for name in names:
        value = data.get(name)
        if value is not None:
            formdata.add(renamed.get(name, name), _text(name, value))
    form = form_class(formdata=formdata, meta={"csrf": False})
    if not form.validate():
        back = {form_name: api_name for api_name, form_name in renamed.items()}
        raise Invalid({back.get(name, name): errors for name, errors in form.errors.items()})
    return form
