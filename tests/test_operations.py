"""Operations: health checks for a load balancer, backups while writers keep posting."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from forum import create_app
from forum.backup import BackupError
from forum.backup import create_backup
from forum.backup import restore_backup
from forum.config import TestConfig
from forum.database import writing
from forum.extensions import db
from forum.models import Post
from forum.models import Thread
from forum.models import User


def test_healthz_reports_database_index_and_backlog(client, make_thread):
    make_thread()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] == "ok" and body["status"] == "ok"
    assert body["search"]["documents"] == 1 and body["outbox_backlog"] == 0


def test_healthz_is_503_when_the_database_is_gone(tmp_path):
    app = create_app(
        type(
            "C",
            (TestConfig,),
            {
                "SQLALCHEMY_DATABASE_URI": "postgresql://nobody@127.0.0.1:1/none",
                "SEARCH_INDEX_DIR": str(tmp_path / "idx"),
            },
        )
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"].startswith("error")


def _keep_posting(app, thread_id, user_id, acknowledged, stop):
    from forum.threads import service

    n = 0
    while not stop.is_set():
        with app.app_context(), writing():
            post = service.create_reply(
                db.session.get(User, user_id), db.session.get(Thread, thread_id), f"balasan {n}"
            )
            db.session.commit()
            acknowledged.append(post.id)  # committed: the writer's "redirect"
        n += 1


def test_backup_during_writes_restores_every_acknowledged_post(sqlite_app, tmp_path):
    from forum.auth.service import create_user
    from forum.threads import service

    with sqlite_app.app_context():
        user = create_user("penulis", "p@contoh.id", "rahasia-123")
        thread = service.create_thread(user, "practice", "Ditulis terus-menerus", "isi", [])
        db.session.commit()
        user_id, thread_id = user.id, thread.id
    acknowledged: list[int] = []
    stop = threading.Event()
    writer = threading.Thread(
        target=_keep_posting, args=(sqlite_app, thread_id, user_id, acknowledged, stop)
    )
    writer.start()
    try:
        while len(acknowledged) < 20:
            stop.wait(0.01)
        before_backup = list(acknowledged)
        archive = create_backup(
            sqlite_app.config["SQLALCHEMY_DATABASE_URI"], None, tmp_path / "cadangan.tar.gz"
        )
        while len(acknowledged) < len(before_backup) + 10:  # writes went on meanwhile
            stop.wait(0.01)
    finally:
        stop.set()
        writer.join(timeout=30)

    restored_uri = f"sqlite:///{tmp_path / 'restored.sqlite'}"
    restore_backup(restored_uri, None, archive)
    engine = sa.create_engine(restored_uri)
    with engine.connect() as conn:
        restored = set(conn.scalars(sa.select(Post.id)))
        (integrity,) = conn.exec_driver_sql("PRAGMA integrity_check").one()
    engine.dispose()
    assert integrity == "ok"
    assert set(before_backup) <= restored


def test_backup_and_restore_commands_bring_the_forum_back(sqlite_app, tmp_path):
    runner = sqlite_app.test_cli_runner()
    from forum.auth.service import create_user
    from forum.threads import service

    with sqlite_app.app_context():
        user = create_user("penulis", "p@contoh.id", "rahasia-123")
        service.create_thread(user, "practice", "Sebelum cadangan dibuat", "isi unik kancil", [])
        db.session.commit()
    archive = tmp_path / "cadangan.tar.gz"
    result = runner.invoke(args=["backup", "create", str(archive)])
    assert result.exit_code == 0, result.output
    with sqlite_app.app_context():
        service.create_thread(
            db.session.get(User, 1), "practice", "Sesudah cadangan dibuat", "isi lain", []
        )
        db.session.commit()
    result = runner.invoke(args=["backup", "restore", str(archive)])
    assert result.exit_code == 0, result.output
    client = sqlite_app.test_client()
    html = client.get("/threads").get_data(as_text=True)
    assert "Sebelum cadangan dibuat" in html and "Sesudah cadangan dibuat" not in html
    assert "Sebelum cadangan dibuat" in client.get("/search?q=kancil").get_data(as_text=True)


def test_backup_refuses_postgresql_with_a_pointer_to_pg_dump(tmp_path):
    with pytest.raises(BackupError, match="pg_dump"):
        create_backup("postgresql://x@127.0.0.1/y", None, tmp_path / "b.tar.gz")
