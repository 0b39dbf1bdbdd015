"""URL converters: ``<id:thread_id>`` is a row id, registered once for every area."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # the database's integer range: larger ids are simply not found


class IdConverter(IntegerConverter):
    """A non-negative integer the database can hold; anything larger is a 404, not a 500."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        super().__init__(url_map, max=MAX_ID)


def init_app(app) -> None:
    app.url_map.converters["id"] = IdConverter
