"""DATABASE_REPLICA_URL: the dashboard and its exports read from a read replica, nothing else does.

The "replica" here is the same database reached through a second engine, so the
figures are right and the test only has to see which engine each statement took.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from forum.database import replica_engine
from forum.extensions import db
from tests.helpers import client_for

PAGES = ["/dashboard", "/dashboard/export.csv?table=threads", "/dashboard/report"]


@contextmanager
def selects_per_engine(app):
    """The SELECT statements each engine ran inside the block: {"primary": [...], ...}."""
    seen = {"primary": [], "replica": []}
    with app.app_context():
        engines = {"primary": db.engine, "replica": replica_engine(app)}
    listeners = []
    for name, engine in engines.items():
        if engine is None:
            continue

        def before(conn, cursor, statement, *args, name=name):
            if statement.lstrip().upper().startswith("SELECT"):
                seen[name].append(statement)

        sa.event.listen(engine, "before_cursor_execute", before)
        listeners.append((engine, before))
    try:
        yield seen
    finally:
        for engine, before in listeners:
            sa.event.remove(engine, "before_cursor_execute", before)


@pytest.fixture
def with_replica(app, sibling_app):
    served = sibling_app(DATABASE_REPLICA_URL=app.config["SQLALCHEMY_DATABASE_URI"])
    yield served
    replica_engine(served).dispose()


@pytest.mark.parametrize("page", PAGES)
def test_the_dashboard_and_exports_read_from_the_replica(
    with_replica, facilitator, make_thread, page
):
    make_thread(title="Pojok baca di balai desa")
    client = client_for(with_replica, facilitator)
    with selects_per_engine(with_replica) as seen, client.get(page) as response:
        assert response.status_code == 200
        assert response.get_data()  # an export is streamed: read it all
    assert seen["replica"], "the figures were read from the replica"
    # Only who is asking (the login check, before the figures) is read from the primary.
    assert all("users" in sql or "facilitator_scopes" in sql for sql in seen["primary"])


def test_other_pages_and_every_write_stay_on_the_primary(with_replica, member, make_thread):
    thread = make_thread()
    client = client_for(with_replica, member)
    with selects_per_engine(with_replica) as seen:
        assert client.get(f"/threads/{thread.id}").status_code == 200
        assert client.get("/").status_code == 200
    assert seen["replica"] == [] and seen["primary"]


def test_without_a_replica_the_dashboard_reads_the_primary(app, facilitator, make_thread):
    make_thread()
    assert replica_engine(app) is None
    client = client_for(app, facilitator)
    with selects_per_engine(app) as seen:
        assert client.get("/dashboard").status_code == 200
    assert seen["primary"]
