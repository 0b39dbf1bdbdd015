"""The OpenAPI 3.1 description of the API, served at /api/v1/openapi.json and read by
the /api/v1/docs page (rendered here, no CDN) and by the schemathesis test.

Kept by hand next to the views: tests/test_api_schema.py fails when a response
does not match it.
"""

from __future__ import annotations

from functools import cache

from flask_babel import lazy_gettext as _l

from ..converters import MAX_ID
from ..insight.models import MEETING_KINDS
from ..models import ROLES
from ..models import THREAD_KINDS
from ..moderation.models import FLAG_REASONS
from ..sections import SECTION_NAMES
from ..sections import SECTIONS
from ..threads.forms import MAX_BODY
from ..threads.forms import MAX_SECTION

BAD_CURSOR = _l("This cursor is not one the API gave out; start again without it.")

TEXT = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
DATE = {"type": "string", "format": "date"}
URL = {"type": "string", "format": "uri"}


def nullable(schema: dict) -> dict:
    kind = schema.get("type")
    if kind is None:
        return {"oneOf": [schema, {"type": "null"}]}
    return {**schema, "type": [kind, "null"]}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict, optional: tuple = ()) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
    }


def array(items: dict) -> dict:
    return {"type": "array", "items": items}


MEMBER = obj({"username": nullable(TEXT), "display_name": TEXT, "url": nullable(URL)})
LIBRARY = obj(
    {
        "name": TEXT,
        "village": TEXT,
        "district": TEXT,
        "region": TEXT,
        "region_name": TEXT,
        "province": TEXT,
        "province_name": TEXT,
    }
)
THREAD_SUMMARY = {
    "id": INT,
    "kind": {"type": "string", "enum": list(THREAD_KINDS)},
    "title": TEXT,
    "url": URL,
    "author": ref("Member"),
    "library": nullable(ref("Library")),
    "region": nullable(TEXT),
    "province": nullable(TEXT),
    "tags": array(TEXT),
    "created_at": TIME,
    "last_activity_at": TIME,
    "pinned": BOOL,
    "locked": BOOL,
    "hidden": BOOL,
    "solved": BOOL,
    "accepted_post_id": nullable(INT),
    "helpful_count": INT,
    "reply_count": INT,
}
POST = obj(
    {
        "id": INT,
        "thread_id": INT,
        "is_opening": BOOL,
        "url": URL,
        "author": ref("Member"),
        "body": TEXT,
        "body_html": TEXT,
        "created_at": TIME,
        "edited_at": nullable(TIME),
        "hidden": BOOL,
        "helpful_count": INT,
    }
)
MARKS = obj({"helpful": BOOL, "follow": BOOL, "bookmark": BOOL})
CLIENT_KEY = {
    "type": "string",
    "pattern": "^[A-Za-z0-9-]{8,64}$",
    "description": "Your own key for this post (e.g. a UUID): sent again after a lost answer, "
    "it gives back the post already made instead of a second one.",
}
SECTION_SCHEMAS = {
    section.name: (
        {"type": "integer", "minimum": 1, "maximum": 1_000_000}
        if section.is_number
        else {"type": "string", "maxLength": MAX_SECTION}
    )
    for section in SECTIONS
}
SCHEMAS = {
    "Error": obj(
        {
            "error": obj(
                {
                    "status": INT,
                    "title": TEXT,
                    "message": TEXT,
                    "fields": {"type": "object", "additionalProperties": array(TEXT)},
                },
                optional=("fields",),
            )
        }
    ),
    "Member": MEMBER,
    "Library": LIBRARY,
    "ThreadSummary": obj(THREAD_SUMMARY),
    "Post": POST,
    "ThreadList": obj({"threads": array(ref("ThreadSummary")), "next_cursor": nullable(TEXT)}),
    "Thread": obj(
        {
            **THREAD_SUMMARY,
            "opening_post": ref("Post"),
            "sections": {"type": "object", "properties": SECTION_SCHEMAS},
            "replies": array(ref("Post")),
            "next_cursor": nullable(TEXT),
            "feed": URL,
            "you": nullable(MARKS),
        }
    ),
    "Marks": obj({"thread_id": INT, **MARKS["properties"]}),
    "NewThread": {
        **obj(
            {
                "kind": {"type": "string", "enum": list(THREAD_KINDS)},
                "title": {"type": "string", "minLength": 5, "maxLength": 200},
                "body": {"type": "string", "minLength": 1, "maxLength": MAX_BODY},
                "tags": {
                    "oneOf": [array({"type": "string", "maxLength": 30}), TEXT],
                    "description": "A list of tags, or one comma-separated string.",
                },
                "client_key": CLIENT_KEY,
                **SECTION_SCHEMAS,
            },
            optional=("tags", "client_key", *SECTION_SCHEMAS),
        ),
    },
    "Body": obj({"body": {"type": "string", "minLength": 1, "maxLength": MAX_BODY}}),
    "NewReply": obj(
        {
            "body": {"type": "string", "minLength": 1, "maxLength": MAX_BODY},
            "client_key": CLIENT_KEY,
        },
        optional=("client_key",),
    ),
    "NewFlag": obj(
        {
            "reason": {"type": "string", "enum": list(FLAG_REASONS)},
            "note": {"type": "string", "maxLength": 500},
        },
        optional=("note",),
    ),
    "Flag": obj({"id": INT, "post_id": INT, "reason": TEXT}),
    "SearchHit": obj(
        {
            "thread": ref("ThreadSummary"),
            "post_id": INT,
            "post_url": URL,
            "title": TEXT,
            "snippet": TEXT,
            "matching_posts": INT,
        }
    ),
    "SearchResults": obj(
        {
            "query": TEXT,
            "total": INT,
            "hits": array(ref("SearchHit")),
            "notes": array(TEXT),
            "next_cursor": nullable(TEXT),
        }
    ),
    "Tags": obj({"tags": array(obj({"name": TEXT, "threads": INT, "url": URL, "feed": URL}))}),
    "Regions": obj(
        {
            "regions": array(
                obj(
                    {
                        "value": TEXT,
                        "kind": {"type": "string", "enum": ["province", "regency"]},
                        "name": TEXT,
                        "province": TEXT,
                        "feed": URL,
                    }
                )
            )
        }
    ),
    "Profile": obj(
        {
            **MEMBER["properties"],
            "library": nullable(ref("Library")),
            "role": {"type": "string", "enum": list(ROLES)},
            "joined_at": TIME,
            "threads": INT,
            "replies": INT,
            "helpful_received": INT,
        }
    ),
    "Meeting": obj(
        {
            "id": INT,
            "title": TEXT,
            "kind": {"type": "string", "enum": list(MEETING_KINDS)},
            "starts_on": DATE,
            "ends_on": DATE,
            "place": TEXT,
            "region": TEXT,
            "region_name": TEXT,
            "province": TEXT,
            "participants": INT,
            "speakers": TEXT,
            "summary": TEXT,
            "url": URL,
        }
    ),
    "Meetings": obj({"meetings": array(ref("Meeting")), "next_cursor": nullable(TEXT)}),
}

ERRORS = {
    "400": "Malformed: the fields and their errors are in error.fields.",
    "401": "No valid token (unknown, revoked, or its account deleted).",
    "403": "The member may not (the reason is in error.message).",
    "404": "Not found, or not visible to the caller.",
    "409": "Done already (e.g. the post was flagged by this member).",
    "413": "The request is too large.",
    "429": "Too many requests: wait the seconds in Retry-After.",
}
CURSOR = {
    "name": "cursor",
    "in": "query",
    "required": False,
    "description": "Where the previous page ended: its next_cursor, as given.",
    "schema": {"type": "string"},
}
THREAD_ID = {
    "name": "thread_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}
POST_ID = {**THREAD_ID, "name": "post_id"}


def _query(name: str, description: str, enum=None) -> dict:
    schema = {"type": "string", "enum": enum} if enum else {"type": "string"}
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


LIST_FILTERS = [
    _query("kind", "The kind of thread", list(THREAD_KINDS)),
    _query("tag", "A tag, e.g. literasi-anak"),
    _query("region", "A kabupaten/kota value from /regions, e.g. purwakarta"),
    _query(
        "status",
        "unsolved: challenges without an accepted answer",
        ["solved", "unsolved"],
    ),
    _query("sort", "The order; activity is the default", ["activity", "newest", "helpful"]),
    _query("section", "Only threads that fill in this report section", list(SECTION_NAMES)),
    CURSOR,
]
SEARCH_FILTERS = [
    _query("q", "The words, as typed in the search box (quotes, OR, tag:, -word ...)"),
    _query("kind", "The kind of thread", ["", *THREAD_KINDS]),
    _query("status", "Solved or not", ["", "solved", "unsolved"]),
    _query("tag", "A tag"),
    _query("author", "A member's name or username"),
    _query("region", "A kabupaten/kota, e.g. Purwakarta"),
    _query("province", "A province value"),
    {**_query("after", "From this day (YYYY-MM-DD)"), "schema": DATE},
    {**_query("before", "Until this day (YYYY-MM-DD)"), "schema": DATE},
    _query("in", "title: search the titles only", ["", "title"]),
    _query("sort", "The order; relevance is the default", ["relevance", "newest"]),
    CURSOR,
]


def _errors(*codes: str) -> dict:
    return {
        code: {
            "description": ERRORS[code],
            "content": {"application/json": {"schema": ref("Error")}},
        }
        for code in codes
    }


def _ok(schema: str, description: str, code: str = "200") -> dict:
    return {
        code: {"description": description, "content": {"application/json": {"schema": ref(schema)}}}
    }


READ = [{}, {"bearer": []}]  # a token is optional: without one, the caller is a visitor
WRITE = [{"bearer": []}]


def _read(summary, tag, schema, parameters=(), errors=("400", "401", "404", "429")):
    return {
        "summary": summary,
        "tags": [tag],
        "security": READ,
        "parameters": list(parameters),
        "responses": {**_ok(schema, "OK"), **_errors(*errors)},
    }


def _write(summary, tag, schema, body=None, parameters=(), code="200"):
    operation = {
        "summary": summary,
        "tags": [tag],
        "security": WRITE,
        "parameters": list(parameters),
        "responses": {
            **_ok(schema, "Done", code),
            **_errors("400", "401", "403", "404", "409", "413", "429"),
        },
    }
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(body)}},
        }
    return operation


def _mark(name: str, what: str) -> dict:
    return {
        "put": _write(f"{what} (idempotent)", "Marks", "Marks", parameters=[THREAD_ID]),
        "delete": _write(
            f"Undo: {what.lower()} (idempotent)", "Marks", "Marks", parameters=[THREAD_ID]
        ),
    }


def _paths() -> dict:
    return {
        "/threads": {
            "get": _read(
                "Threads, as on /threads: pinned first, then by sort",
                "Threads",
                "ThreadList",
                LIST_FILTERS,
            ),
            "post": _write(
                "Open a thread (a best practice or a challenge)",
                "Threads",
                "Thread",
                "NewThread",
                code="201",
            ),
        },
        "/threads/{thread_id}": {
            "get": _read(
                "A thread, its opening post and a page of replies",
                "Threads",
                "Thread",
                [THREAD_ID, CURSOR],
            ),
        },
        "/threads/{thread_id}/replies": {
            "post": _write("Reply to a thread", "Threads", "Post", "NewReply", [THREAD_ID], "201"),
        },
        "/posts/{post_id}": {
            "get": _read("A post", "Threads", "Post", [POST_ID]),
            "patch": _write("Edit your post's text", "Threads", "Post", "Body", [POST_ID]),
        },
        "/threads/{thread_id}/helpful": _mark("helpful", "Mark the thread helpful"),
        "/threads/{thread_id}/follow": _mark("follow", "Follow the thread"),
        "/threads/{thread_id}/bookmark": _mark("bookmark", "Bookmark the thread"),
        "/posts/{post_id}/flags": {
            "post": _write(
                "Flag a post for the facilitators", "Threads", "Flag", "NewFlag", [POST_ID], "201"
            ),
        },
        "/search": {
            "get": _read(
                "Search, hits grouped by thread, plain-text snippets",
                "Search",
                "SearchResults",
                SEARCH_FILTERS,
            ),
        },
        "/tags": {"get": _read("Tags in use, with their number of threads", "Lists", "Tags")},
        "/regions": {
            "get": _read("Provinces and kabupaten/kota (as on the dashboard)", "Lists", "Regions")
        },
        "/users/{username}": {
            "get": _read(
                "A member's public profile (never an e-mail address)",
                "Lists",
                "Profile",
                [
                    {
                        "name": "username",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
            ),
        },
        "/meetings": {
            "get": _read(
                "Peer-learning and stakeholder meetings, latest first",
                "Lists",
                "Meetings",
                [CURSOR],
            ),
        },
    }


@cache
def _document(base_url: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Serambi API",
            "version": "1",
            "description": (
                "Threads, replies, marks, flags and search of Serambi, with the same rules as "
                "its pages. Reads need no token (you read as a visitor) or a read token; writes "
                "need a write token from /settings/tokens, sent as Authorization: Bearer."
            ),
        },
        "servers": [{"url": f"{base_url}/api/v1"}],
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def document() -> dict:
    from flask import current_app

    return _document(current_app.config["BASE_URL"])


def groups() -> list[tuple[str, list[tuple[str, str, dict]]]]:
    """The operations by tag, in the document's order, for the docs page."""
    found: dict[str, list] = {}
    for path, operations in _paths().items():
        for method, operation in operations.items():
            found.setdefault(operation["tags"][0], []).append((method.upper(), path, operation))
    return list(found.items())
