"""schemathesis against /api/v1/openapi.json: generated requests, with a write token,
never get a 5xx, and every response matches the document (status, type, body schema).

Bounded and deterministic (a fixed number of examples per operation, derandomized),
on both databases, through the app itself (WSGI): no server, no network.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from schemathesis import checks

from tests.helpers import api_token
from tests.helpers import bearer

EXAMPLES = 25  # per operation
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]

pytestmark = pytest.mark.slow


@pytest.fixture
def world(app, make_user, make_thread, make_reply):
    """A librarian with a write token, and a thread with a reply to act on."""
    author = make_user("penulis")
    thread = make_thread(author, title="Pojok baca di balai desa")
    make_reply(thread, author, body="Balasan pertama")
    return bearer(api_token(app, make_user("bot_wa")))


def test_every_operation_answers_as_documented(app, world):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            case.call_and_validate(headers=world, checks=CHECKS)

        try:
            check()
        except Exception as error:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{operation.label}: {error}")
    assert not failures, "\n\n".join(failures)
