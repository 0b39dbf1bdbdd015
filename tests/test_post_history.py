"""A post's edit history: paginated, and earlier versions redacted for privacy.

A facilitator, and the author of their own post, can redact an earlier version;
everyone else then sees "edited for privacy" instead of it, facilitators still
read it. A facilitator's edit of a flagged post redacts the versions before it
unless they untick the box.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from forum.models import Post
from forum.models import PostRevision
from forum.models import User
from forum.moderation.models import ModerationAction
from forum.threads import service as threads
from tests.helpers import app_db
from tests.helpers import client_for
from tests.helpers import send_form as send

PHONE = "0812-3456-7890"
REDACTED = "edited for privacy"


@pytest.fixture
def author(make_user):
    return make_user("asep_sukamaju", display_name="Asep Saepudin")


def text(response) -> str:
    return response.get_data(as_text=True)


def edit(app, user, post_id: int, body: str) -> None:
    with app_db(app) as session:
        threads.edit_post(session.get(User, user.id), session.get(Post, post_id), body)
        session.commit()


def revision_ids(app, post_id: int) -> list[int]:
    """Earlier versions of the post, oldest first."""
    with app_db(app) as session:
        return list(
            session.scalars(
                sa.select(PostRevision.id)
                .where(PostRevision.post_id == post_id)
                .order_by(PostRevision.id)
            )
        )


@pytest.fixture
def phone_reply(app, author, make_thread, make_reply):
    """A reply that gave a phone number, then was edited to remove it."""
    thread = make_thread(title="Jadwal dongeng di balai desa")
    reply = make_reply(thread, author, body=f"Hubungi saya di {PHONE} untuk jadwal.")
    edit(app, author, reply.id, "Hubungi saya lewat pesan pribadi untuk jadwal.")
    return reply


# --- pagination ------------------------------------------------------------------------


def test_history_shows_ten_versions_a_page(app, author, make_thread, make_reply):
    reply = make_reply(make_thread(), author, body="versi-0")
    for n in range(1, 26):
        edit(app, author, reply.id, f"versi-{n}")
    visitor = client_for(app)
    pages = {}
    for page in (1, 2, 3):
        response = visitor.get(f"/posts/{reply.id}/history?page={page}")
        assert response.status_code == 200
        pages[page] = re.findall(r"versi-(\d+)", text(response))
    assert pages[1] == ["25", *map(str, range(24, 14, -1))]  # the current one, then ten
    assert pages[2] == list(map(str, range(14, 4, -1)))
    assert pages[3] == ["4", "3", "2", "1", "0"]
    assert "25 earlier versions" in text(visitor.get(f"/posts/{reply.id}/history"))
    assert f'href="/posts/{reply.id}/history?page=2"' in text(
        visitor.get(f"/posts/{reply.id}/history")
    )


@pytest.mark.parametrize(
    ("query", "status"),
    [("page=4", 404), ("page=99999999999999", 404), ("page=abc", 200), ("page=-3", 200)],
)
def test_a_bad_history_page_is_404_or_the_first_never_500(
    app, author, make_thread, make_reply, query, status
):
    reply = make_reply(make_thread(), author, body="versi-0")
    for n in range(1, 26):
        edit(app, author, reply.id, f"versi-{n}")
    response = client_for(app).get(f"/posts/{reply.id}/history?{query}")
    assert response.status_code == status


def test_an_unedited_post_has_one_page(app, make_thread, make_reply):
    reply = make_reply(make_thread(), body="Belum pernah diubah")
    visitor = client_for(app)
    assert "This post has not been edited." in text(visitor.get(f"/posts/{reply.id}/history"))
    assert visitor.get(f"/posts/{reply.id}/history?page=2").status_code == 404


# --- redaction -------------------------------------------------------------------------


def test_author_redacts_an_earlier_version_and_only_facilitators_read_it(
    app, author, facilitator, make_user, phone_reply
):
    (first,) = revision_ids(app, phone_reply.id)
    history = f"/posts/{phone_reply.id}/history"
    browser = client_for(app, author)
    assert PHONE in text(browser.get(history))
    response = send(browser, f"{history}/{first}/redact")
    assert response.status_code == 302
    assert response.headers["Location"] == history

    for viewer in (None, make_user("rani"), author):
        page = text(client_for(app, viewer).get(history))
        assert PHONE not in page and REDACTED in page
        assert "Hubungi saya lewat pesan pribadi" in page  # the current version stays
    moderator_page = text(client_for(app, facilitator).get(history))
    assert PHONE in moderator_page and "only facilitators see this version" in moderator_page


def test_redacted_text_is_indonesian_by_default(app, author, phone_reply):
    (first,) = revision_ids(app, phone_reply.id)
    send(client_for(app, author), f"/posts/{phone_reply.id}/history/{first}/redact")
    page = text(app.test_client().get(f"/posts/{phone_reply.id}/history"))
    assert "disunting untuk privasi" in page and PHONE not in page


def test_a_suspended_author_still_redacts_their_own_post(app, author, phone_reply):
    with app_db(app) as session:
        session.get(User, author.id).suspended_indefinitely = True
        session.commit()
    (first,) = revision_ids(app, phone_reply.id)
    response = send(client_for(app, author), f"/posts/{phone_reply.id}/history/{first}/redact")
    assert response.status_code == 302
    assert PHONE not in text(app.test_client().get(f"/posts/{phone_reply.id}/history"))


def test_other_members_cannot_redact(app, make_user, phone_reply):
    (first,) = revision_ids(app, phone_reply.id)
    url = f"/posts/{phone_reply.id}/history/{first}/redact"
    refused = send(client_for(app, make_user("rani")), url)
    assert refused.status_code == 403
    assert "Only the author of a post or a facilitator" in text(refused)
    assert app.test_client().post(url).status_code in (302, 400)  # visitors: log in first
    with app_db(app) as session:
        assert session.get(PostRevision, first).redacted_at is None


def test_a_version_of_another_post_is_not_found(app, author, make_thread, make_reply, phone_reply):
    other = make_reply(make_thread(), author, body="Balasan lain")
    (first,) = revision_ids(app, phone_reply.id)
    response = send(client_for(app, author), f"/posts/{other.id}/history/{first}/redact")
    assert response.status_code == 404


def test_facilitator_redacts_and_unredacts_and_the_log_says_so(
    app, author, facilitator, phone_reply
):
    (first,) = revision_ids(app, phone_reply.id)
    browser = client_for(app, facilitator)
    history = f"/posts/{phone_reply.id}/history"
    assert send(browser, f"{history}/{first}/redact").status_code == 302
    assert PHONE not in text(app.test_client().get(history))
    # The author may not undo a redaction; a facilitator may.
    assert send(client_for(app, author), f"{history}/{first}/unredact").status_code == 403
    assert send(browser, f"{history}/{first}/unredact").status_code == 302
    assert PHONE in text(app.test_client().get(history))
    with app_db(app) as session:
        actions = session.scalars(sa.select(ModerationAction.action).order_by(ModerationAction.id))
        assert list(actions) == ["redact", "unredact"]


# --- a facilitator's edit of a flagged post ---------------------------------------------


def flag(app, user, post_id: int) -> None:
    response = send(
        client_for(app, user), f"/posts/{post_id}/flag", {"reason": "private_data", "details": ""}
    )
    assert response.status_code == 302


def test_editing_a_flagged_post_redacts_earlier_versions_by_default(
    app, author, facilitator, make_user, make_thread, make_reply
):
    thread = make_thread(title="Jadwal pojok baca anak")
    reply = make_reply(thread, author, body=f"Telepon {PHONE} ya")
    edit(app, author, reply.id, f"Telepon {PHONE} atau datang saja")
    flag(app, make_user("rani"), reply.id)

    browser = client_for(app, facilitator)
    form = text(browser.get(f"/posts/{reply.id}/edit"))
    assert re.search(r'<input [^>]*checked [^>]*name="redact_earlier"', form)
    response = send(
        browser,
        f"/posts/{reply.id}/edit",
        {"body": "Hubungi perpustakaan desa untuk jadwal.", "redact_earlier": "y"},
    )
    assert response.status_code == 302

    visitor = app.test_client()
    history = text(visitor.get(f"/posts/{reply.id}/history"))
    assert PHONE not in history and history.count("disunting untuk privasi") == 2
    assert PHONE not in text(visitor.get(f"/threads/{thread.id}"))
    search = visitor.get("/search?q=3456")
    assert search.status_code == 200 and PHONE not in text(search)
    assert "Jadwal pojok baca anak" in text(visitor.get("/search?q=perpustakaan"))
    assert PHONE in text(client_for(app, facilitator).get(f"/posts/{reply.id}/history"))


def test_the_facilitator_may_untick_the_box(app, author, facilitator, make_user, phone_reply):
    flag(app, make_user("rani"), phone_reply.id)
    browser = client_for(app, facilitator)
    response = send(browser, f"/posts/{phone_reply.id}/edit", {"body": "Diperbaiki fasilitator"})
    assert response.status_code == 302
    assert PHONE in text(app.test_client().get(f"/posts/{phone_reply.id}/history"))


def test_the_box_is_offered_after_resolving_flags_with_an_edit(
    app, author, facilitator, make_user, phone_reply
):
    """Resolving with "edit" closes the flags and opens the edit form: the box is still there."""
    flag(app, make_user("rani"), phone_reply.id)
    browser = client_for(app, facilitator)
    with app_db(app) as session:
        from forum.moderation.models import Flag

        flag_id = session.scalar(sa.select(Flag.id))
    resolved = send(browser, f"/mod/flags/{flag_id}/resolve", {"action": "edit", "note": ""})
    assert resolved.headers["Location"] == f"/posts/{phone_reply.id}/edit"
    assert 'name="redact_earlier"' in text(browser.get(f"/posts/{phone_reply.id}/edit"))
    send(browser, f"/posts/{phone_reply.id}/edit", {"body": "Tanpa nomor", "redact_earlier": "y"})
    assert PHONE not in text(app.test_client().get(f"/posts/{phone_reply.id}/history"))
    # Once edited, the post no longer waits for an edit: no box next time.
    assert 'name="redact_earlier"' not in text(browser.get(f"/posts/{phone_reply.id}/edit"))


def test_no_box_for_an_unflagged_post_or_for_the_author(
    app, author, facilitator, make_user, phone_reply
):
    assert 'name="redact_earlier"' not in text(
        client_for(app, facilitator).get(f"/posts/{phone_reply.id}/edit")
    )
    flag(app, make_user("rani"), phone_reply.id)
    author_browser = client_for(app, author)
    assert 'name="redact_earlier"' not in text(author_browser.get(f"/posts/{phone_reply.id}/edit"))
    # Sending the field anyway changes nothing: the author's edit redacts nothing.
    send(author_browser, f"/posts/{phone_reply.id}/edit", {"body": "Lagi", "redact_earlier": "y"})
    assert PHONE in text(app.test_client().get(f"/posts/{phone_reply.id}/history"))


def test_editing_a_flagged_opening_post_redacts_the_old_title_too(
    app, author, facilitator, make_user, make_thread
):
    thread = make_thread(author, title=f"Telepon {PHONE} untuk pinjam buku", body="Isi awal")
    with app_db(app) as session:
        opening_id = session.scalar(sa.select(Post.id).where(Post.thread_id == thread.id))
    flag(app, make_user("rani"), opening_id)
    browser = client_for(app, facilitator)
    assert 'name="redact_earlier"' in text(browser.get(f"/threads/{thread.id}/edit"))
    response = send(
        browser,
        f"/threads/{thread.id}/edit",
        {"title": "Cara pinjam buku", "body": "Isi awal", "tags": "", "redact_earlier": "y"},
    )
    assert response.status_code == 302
    history = text(app.test_client().get(f"/posts/{opening_id}/history"))
    assert PHONE not in history and "disunting untuk privasi" in history
