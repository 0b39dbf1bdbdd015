"""Stored similar threads: computed off the request in a background thread, replaced whole."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from search_index.similar_store import Refresher
from search_index.similar_store import define_similar_table
from search_index.similar_store import refresh


def stored(db) -> dict[int, list[int]]:
    table = define_similar_table(sa.MetaData())
    lists: dict[int, list[int]] = {}
    with db.connect() as connection:
        for row in connection.execute(sa.select(table).order_by(table.c.thread_id, table.c.rank)):
            lists.setdefault(row.thread_id, []).append(row.similar_id)
    return lists


def database(tmp_path):
    db = sa.create_engine(f"sqlite:///{tmp_path / 'similar.sqlite'}")
    metadata = sa.MetaData()
    define_similar_table(metadata)
    metadata.create_all(db)
    return db


def test_the_background_refresher_computes_in_its_own_thread(tmp_path):
    db = database(tmp_path)
    computed_in = []

    def similar(thread_id: int) -> list[int]:
        computed_in.append(threading.current_thread().name)
        return [thread_id + 1, thread_id + 2]

    refresher = Refresher(similar, background=True)
    refresher.add(db, {7, 3})
    refresher.join()
    assert stored(db) == {3: [4, 5], 7: [8, 9]}
    assert set(computed_in) == {"similar-threads"}  # never the caller's (a request's) thread


def test_a_refresh_replaces_lists_and_a_complete_one_forgets_threads_not_named(tmp_path):
    db = database(tmp_path)
    refresh(lambda t: [t * 10, t * 10 + 1], db, [1, 2, 3])
    refresh(lambda t: [] if t == 2 else [t * 100], db, [1, 2], complete=True)
    assert stored(db) == {1: [100]}
