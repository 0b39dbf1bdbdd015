"""A preview keeps the chosen photos: the form comes back with them, and posting attaches them.

A browser cannot refill a file input, so the files chosen before a preview are
kept on the server and named by signed hidden fields; posting checks them like
any upload and attaches them.
"""

# The fixtures `client` and `uploads` come from tests/attachment_helpers.py, by import.
# ruff: noqa: F811

from __future__ import annotations

import re

from werkzeug.datastructures import MultiDict

from forum.attachments import kept
from tests.attachment_helpers import THREAD_FIELDS
from tests.attachment_helpers import attachments_of
from tests.attachment_helpers import client  # noqa: F401 - the English-reading browser
from tests.attachment_helpers import new_thread_with
from tests.attachment_helpers import stored_files
from tests.attachment_helpers import uploads  # noqa: F401 - this test's uploads folder
from tests.attachment_samples import LINUX_ELF
from tests.attachment_samples import photo
from tests.helpers import client_for
from tests.helpers import csrf_token
from tests.helpers import login_as


def kept_tokens(response) -> list[str]:
    return re.findall(r'name="kept_files" value="([^"]+)" checked', response.text)


def post_again(client, tokens, **fields):
    data = MultiDict({"csrf_token": csrf_token(client, "/threads/new"), **THREAD_FIELDS, **fields})
    for token in tokens:
        data.add("kept_files", token)
    return client.post("/threads/new", data=data)


def test_a_preview_keeps_the_photos_and_posting_attaches_them(app, client, member, uploads):
    response = new_thread_with(
        client,
        [(photo(size=(800, 600)), "pojok.jpg"), (photo(seed=2), "rak.jpg")],
        captions=["Pojok baca", ""],
        preview="1",
    )
    assert response.status_code == 200
    assert "Chosen files, kept for posting" in response.text
    assert "pojok.jpg · Pojok baca" in response.text and "rak.jpg" in response.text
    tokens = kept_tokens(response)
    assert len(tokens) == 2
    assert attachments_of(app) == []  # nothing attached yet
    response = post_again(client, tokens)
    assert response.status_code == 302
    files = attachments_of(app)
    assert [(f.name, f.caption) for f in files] == [("pojok.jpg", "Pojok baca"), ("rak.jpg", "")]
    # the copies kept across the preview are gone; the stored files are the attachments'
    keys = {f.storage_key for f in files} | {f.thumb_key for f in files if f.thumb_key}
    assert {str(p.relative_to(uploads)) for p in stored_files(uploads)} == keys


def test_unticking_a_kept_photo_leaves_it_out(app, client, member, uploads):
    response = new_thread_with(
        client, [(photo(), "a.jpg"), (photo(), "b.jpg")], captions=["", ""], preview="1"
    )
    first, _second = kept_tokens(response)
    assert post_again(client, [first]).status_code == 302
    assert [f.name for f in attachments_of(app)] == ["a.jpg"]


def test_photos_kept_by_a_preview_survive_a_mistake_after_it(app, client, member, uploads):
    response = new_thread_with(client, [(photo(), "a.jpg")], captions=[""], preview="1")
    response = post_again(client, kept_tokens(response), title="")
    assert response.status_code == 400
    assert len(kept_tokens(response)) == 1
    assert post_again(client, kept_tokens(response)).status_code == 302
    assert [f.name for f in attachments_of(app)] == ["a.jpg"]


def test_a_file_that_cannot_be_attached_is_refused_at_the_preview(app, client, member, uploads):
    response = new_thread_with(client, [(LINUX_ELF, "virus.jpg")], captions=[""], preview="1")
    assert response.status_code == 400
    assert "Programs and scripts cannot be attached" in response.text
    assert kept_tokens(response) == []


def test_someone_elses_or_a_forged_token_attaches_nothing(app, client, member, make_user, uploads):
    response = new_thread_with(client, [(photo(), "a.jpg")], captions=[""], preview="1")
    (token,) = kept_tokens(response)
    other = client_for(app)
    login_as(other, make_user("orang_lain"))
    data = MultiDict({"csrf_token": csrf_token(other, "/threads/new"), **THREAD_FIELDS})
    data.add("kept_files", token)
    data.add("kept_files", token[:-3] + "abc")
    data.add("kept_files", "not-a-token")
    assert other.post("/threads/new", data=data).status_code == 302
    assert attachments_of(app) == []


def test_an_expired_token_is_left_out(app, client, member, uploads, monkeypatch):
    response = new_thread_with(client, [(photo(), "a.jpg")], captions=[""], preview="1")
    tokens = kept_tokens(response)
    monkeypatch.setattr(kept, "MAX_AGE", -1)
    assert post_again(client, tokens).status_code == 302
    assert attachments_of(app) == []
