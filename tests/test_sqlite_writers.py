"""SQLite under several writer processes: none fails, and the index stays in step.

A deferred BEGIN that reads and then writes cannot be saved by the busy timeout
when another process wrote in between ("database is locked"); IMMEDIATE takes
the write lock first and waits its turn.
"""

from __future__ import annotations

import multiprocessing

import sqlalchemy as sa

from forum import create_app
from forum.config import TestConfig
from forum.extensions import db
from forum.extensions import search
from forum.models import Post
from forum.models import Thread
from forum.models import User
from forum.models import search_outbox
from forum.search.reindex import check_index

WRITERS = 4
REPLIES_EACH = 12


def _reply_many(database_uri: str, index_dir: str, user_id: int, thread_id: int, queue) -> None:
    app = create_app(
        type(
            "C",
            (TestConfig,),
            {"SQLALCHEMY_DATABASE_URI": database_uri, "SEARCH_INDEX_DIR": index_dir},
        )
    )
    from forum.threads import service

    errors = []
    for n in range(REPLIES_EACH):
        # A POST request's shape: read the thread and member, then write a reply.
        with app.test_request_context(method="POST"):
            try:
                thread = db.session.get(Thread, thread_id)
                user = db.session.get(User, user_id)
                service.create_reply(user, thread, f"balasan {user_id}-{n}")
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported to the parent
                errors.append(repr(error))
                db.session.rollback()
            finally:
                db.session.remove()
    queue.put(errors)


def test_concurrent_post_requests_never_fail_with_database_locked(sqlite_app, tmp_path):
    uri = sqlite_app.config["SQLALCHEMY_DATABASE_URI"]
    with sqlite_app.app_context():
        from forum.auth.service import create_user
        from forum.threads import service

        users = [
            create_user(f"penulis{i}", f"p{i}@contoh.id", "rahasia-123") for i in range(WRITERS)
        ]
        thread = service.create_thread(users[0], "challenge", "Ramai-ramai membalas", "isi", [])
        db.session.commit()
        user_ids, thread_id = [u.id for u in users], thread.id
        db.session.remove()

    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [
        context.Process(
            target=_reply_many,
            args=(uri, str(tmp_path / "search_index"), user_id, thread_id, queue),
        )
        for user_id in user_ids
    ]
    for worker in workers:
        worker.start()
    errors = [error for _ in workers for error in queue.get(timeout=120)]
    for worker in workers:
        worker.join(timeout=60)
    assert errors == []
    with sqlite_app.app_context():
        replies = db.session.scalar(
            sa.select(sa.func.count(Post.id)).where(Post.thread_id == thread_id, ~Post.is_opening)
        )
        assert replies == WRITERS * REPLIES_EACH
        # Writers that found the index busy left their rows pending; one drain
        # applies them all, and then the index equals the database.
        search.drain(db.engine)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(search_outbox)) == 0
        report, total = check_index(repair=False)
        assert report.clean and report.checked == total == 1 + WRITERS * REPLIES_EACH
