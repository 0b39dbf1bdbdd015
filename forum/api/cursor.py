"""Opaque cursors for the API's lists: where the last page ended, by its sort key and id.

A cursor is URL-safe base64 of a small JSON list (the last row's values of the
order's columns). The next page starts strictly after that row, so new threads
or replies written meanwhile never shift a page.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date
from datetime import datetime

import sqlalchemy as sa

from ..extensions import db

MAX_CURSOR = 500  # characters


class BadCursor(ValueError):
    pass


def _plain(value):
    return value.isoformat() if isinstance(value, date | datetime) else value


def encode(values) -> str:
    text = json.dumps([_plain(value) for value in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _python_type(column):
    column_type = column.type
    impl = getattr(column_type, "impl", column_type)  # a TypeDecorator (UTCDateTime)
    return impl.python_type


def _typed(column, value):
    python_type = _python_type(column)
    if python_type is datetime and isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise BadCursor("naive time")
        return parsed
    if python_type is date and isinstance(value, str):
        return date.fromisoformat(value)
    if python_type is bool and isinstance(value, bool):
        return value
    if python_type is int and isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > 2**31 - 1:
            raise BadCursor("out of range")
        return value
    raise BadCursor(f"unexpected {value!r}")


def decode(cursor: str, columns) -> list:
    """The values a cursor holds, typed like ``columns``; :class:`BadCursor` otherwise."""
    if len(cursor) > MAX_CURSOR:
        raise BadCursor("too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise BadCursor(str(error)) from error
    if not isinstance(values, list) or len(values) != len(columns):
        raise BadCursor("wrong length")
    try:
        return [_typed(column, value) for column, value in zip(columns, values, strict=True)]
    except (TypeError, ValueError, OverflowError) as error:
        raise BadCursor(str(error)) from error


def _equal(column, value):
    return column.is_(value) if isinstance(value, bool) else column == value


def _beyond(column, value, descending: bool):
    if isinstance(value, bool):  # SQL compares booleans with IS only: false < true
        return column.is_(not value) if value == descending else sa.false()
    return column < value if descending else column > value


def _after(columns, values, descending: bool):
    """Rows strictly after ``values`` in the order of ``columns`` (all one direction)."""
    clauses = []
    for index, column in enumerate(columns):
        same = [_equal(columns[i], values[i]) for i in range(index)]
        beyond = _beyond(column, values[index], descending)
        clauses.append(sa.and_(*same, beyond))
    return sa.or_(*clauses)


def page(query, columns, cursor: str | None, per_page: int, *, descending: bool = True):
    """``(rows, next_cursor)``: ``per_page`` rows of ``query`` after ``cursor``.

    ``columns`` are the order's columns, the last one unique (the id).
    """
    if cursor:
        query = query.where(_after(columns, decode(cursor, columns), descending))
    order = [column.desc() if descending else column.asc() for column in columns]
    rows = list(db.session.scalars(query.order_by(*order).limit(per_page + 1)).unique())
    if len(rows) <= per_page:
        return rows, None
    rows = rows[:per_page]
    return rows, encode([_value(rows[-1], column) for column in columns])


def _value(row, column):
    return getattr(row, column.key)


def encode_page(number: int) -> str:
    """A cursor for lists the engine pages by number (search): opaque all the same."""
    return encode([number])


def decode_page(cursor: str | None) -> int:
    if not cursor:
        return 1
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise BadCursor(str(error)) from error
    if (
        not isinstance(raw, list)
        or len(raw) != 1
        or not isinstance(raw[0], int)
        or isinstance(raw[0], bool)
        or not 1 <= raw[0] <= 100_000
    ):
        raise BadCursor("not a page")
    return raw[0]
