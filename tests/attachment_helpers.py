"""Posting files as a browser does and looking at what was stored (helpers and fixtures).

A test module that needs the fixtures imports them by name: ``client`` (a browser
reading English pages) and ``uploads`` (this test's uploads folder).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.datastructures import MultiDict
from werkzeug.test import encode_multipart

from forum.attachments.models import Attachment
from tests.helpers import app_db
from tests.helpers import csrf_token

THREAD_FIELDS = {
    "kind": "practice",
    "title": "Pojok baca di balai desa",
    "body": "Kami membuka pojok baca setiap Sabtu pagi.",
    "tags": "literasi-anak",
}


@pytest.fixture
def client(client):
    """A browser reading English pages: the refusals below are quoted in English."""
    client.set_cookie("lang", "en")
    return client


@pytest.fixture
def uploads(app, tmp_path) -> Path:
    """Uploads go to this test's folder (never the checkout's instance/)."""
    path = tmp_path / "uploads"
    app.config["UPLOADS_DIR"] = str(path)
    app.extensions.pop("attachment_storage", None)
    return path


def stored_files(uploads: Path) -> list[Path]:
    return sorted(p for p in uploads.rglob("*") if p.is_file()) if uploads.exists() else []


def send(client, url, files, *, captions=None, page="/", **fields):
    """Submit a multipart form as a browser does: every slot's file and caption, in order.

    The body is encoded in memory (werkzeug's test client would spool a large one to a
    temporary file it never closes).
    """
    data = MultiDict({"csrf_token": csrf_token(client, page), **fields})
    for content, name in files:
        data.add("files", FileStorage(io.BytesIO(content), filename=name))
    for caption in captions if captions is not None else [""] * len(files):
        data.add("captions", caption)
    boundary, body = encode_multipart(data)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def new_thread_with(client, files, **kwargs):
    return send(client, "/threads/new", files, page="/threads/new", **THREAD_FIELDS, **kwargs)


def attachments_of(app) -> list[Attachment]:
    with app_db(app) as session:
        rows = list(session.scalars(sa.select(Attachment).order_by(Attachment.id)))
        for row in rows:
            session.expunge(row)
        return rows
