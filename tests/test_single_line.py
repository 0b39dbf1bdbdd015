"""One line means one line: every single-line text field refuses control characters.

A display name with CR/LF once broke the e-mail digest's headers for everyone
after that member (issue 14). These tests walk every form the forum has, so a
field added later as a plain ``StringField`` is caught here.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms import StringField
from wtforms import TextAreaField

import forum
from forum.models import User
from tests.helpers import app_db
from tests.helpers import client_for
from tests.helpers import login_as
from tests.helpers import post_form

# Each is refused inside an otherwise ordinary value.
HOSTILE = [
    "Asep\r\nBcc: semua@contoh.id",  # CR/LF: a header injection in a mail
    "Asep\nSukatani",
    "Asep\tSukatani",
    "Asep\x00",
    "Asep\x1b[31m",  # ESC: a terminal escape in a log
    "Asep\x85Sukatani",  # NEL, a C1 line break
    "Asep\u2028Sukatani",  # LINE SEPARATOR
    "Asep\u202eikatakuS",  # RIGHT-TO-LEFT OVERRIDE: a name that reads backwards
]
FINE = ["Asep Sukatani", "Perpustakaan Desa Sukamaju — Pojok Baca", "Ibu Ni Luh Putu Ayu", "é ü ñ"]
MESSAGE = "Write it on one line, without line breaks, tabs or other control characters."


def all_forms() -> list[type[FlaskForm]]:
    """Every form class in the forum package (importing every module first)."""
    for module in pkgutil.walk_packages(forum.__path__, "forum."):
        importlib.import_module(module.name)
    seen, todo = set(), [FlaskForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return sorted(
        (f for f in seen if f.__module__.startswith("forum.")), key=lambda f: f.__qualname__
    )


def single_line_fields(form) -> list[str]:
    """Text fields a member types one line into (not passwords: never shown or sent on)."""
    return [
        name
        for name, field in form._fields.items()
        if isinstance(field, StringField)
        and not isinstance(field, TextAreaField | PasswordField)
        and name != "csrf_token"
    ]


def make_form(app, cls, data):
    """The form as a request with ``data`` would fill it (POST body and query string alike)."""
    with app.test_request_context(method="POST", data=data, query_string=data):
        form = cls(meta={"csrf": False})
        form.validate()
        return form


def test_the_walk_finds_the_forms_members_type_names_into(app):
    names = {cls.__name__: single_line_fields(make_form(app, cls, {})) for cls in all_forms()}
    assert {"display_name", "email", "library_name", "village", "district"} <= set(
        names["ProfileForm"]
    )
    assert {"username", "display_name", "email"} <= set(names["RegisterForm"])
    assert "title" in names["ThreadForm"]
    assert "q" in names["SearchForm"]
    assert "place" in names["MeetingForm"]


@pytest.mark.parametrize("value", HOSTILE)
def test_every_single_line_field_refuses_control_characters(app, value):
    refused, checked = [], 0
    for cls in all_forms():
        for name in single_line_fields(make_form(app, cls, {})):
            form = make_form(app, cls, {name: value})
            checked += 1
            if MESSAGE not in form[name].errors:
                refused.append(f"{cls.__name__}.{name}: {form[name].errors}")
    assert checked >= 20
    assert refused == []


@pytest.mark.parametrize("value", FINE)
def test_ordinary_text_is_not_refused_as_a_control_character(app, value):
    for cls in all_forms():
        for name in single_line_fields(make_form(app, cls, {})):
            form = make_form(app, cls, {name: value})
            assert MESSAGE not in form[name].errors, f"{cls.__name__}.{name}"


def test_a_display_name_with_a_line_break_is_a_form_error_and_nothing_changes(app, make_user):
    member = make_user(display_name="Asep")
    browser = client_for(app)
    login_as(browser, member)
    response = post_form(
        browser,
        "/settings/profile",
        {
            "display_name": "Asep\r\nBcc: semua@contoh.id",
            "email": member.email,
            "timezone": "Asia/Jakarta",
            "language": "en",
        },
        page="/settings/profile",
    )
    assert response.status_code == 400
    assert MESSAGE in response.get_data(as_text=True)
    with app_db(app) as session:
        assert session.get(User, member.id).display_name == "Asep"


def test_registration_refuses_a_control_character_in_the_username_field(app):
    browser = client_for(app)
    response = post_form(
        browser,
        "/auth/register",
        {
            "username": "asep\x1b",
            "display_name": "Asep",
            "email": "asep@contoh.id",
            "password": "kata-sandi-panjang",
            "confirm": "kata-sandi-panjang",
        },
        page="/auth/register",
    )
    assert response.status_code == 400
    assert MESSAGE in response.get_data(as_text=True)
