"""The thread page's cached post fragments never show what is no longer true or not yours.

Each process keeps a post's author line and body under the post's render version
(bumped by database triggers) and the viewer's role, scope, language and zone
(forum/fragments.py). Every test first views the page so the cache holds the old
state, changes something the way the forum does, and views again.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from forum import fragments
from forum.attachments.models import Attachment
from forum.extensions import db
from forum.models import Post
from forum.models import User
from forum.moderation import service as moderation
from forum.regions import Region
from forum.threads import service as threads
from forum.users.accounts import delete_account
from tests.attachment_helpers import attachments_of
from tests.attachment_helpers import send
from tests.attachment_helpers import uploads  # noqa: F401 - a fixture
from tests.attachment_samples import pdf
from tests.helpers import app_db
from tests.helpers import client_for


@pytest.fixture
def page(make_user, make_thread, make_reply):
    """A thread in Purwakarta with one reply by Budi; ``page.path`` is its address."""
    author = make_user(display_name="Asep Sukatani")
    thread = make_thread(author, title="Pojok baca Sabtu pagi")
    budi = make_user("budi", display_name="Budi Santoso")
    reply = make_reply(thread, budi, body="Kami membacakan dongeng setiap Sabtu.")
    return type("Page", (), {"path": f"/threads/{thread.id}", "thread": thread,
                             "reply": reply, "budi": budi})  # fmt: skip


def view(browser, page) -> str:
    response = browser.get(page.path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def change(app, fn):
    """Run ``fn(session)`` in its own transaction and commit, as a view calling a service does."""
    with app.test_request_context():
        fn(db.session)
        db.session.commit()
        db.session.remove()


def test_a_second_view_comes_from_the_cache_and_raw_sql_still_reaches_it(app, page):
    visitor = client_for(app)
    view(visitor, page)
    with app.app_context():
        cached = len(fragments.cache())
    assert cached == 2  # the opening post and the reply, once
    view(client_for(app), page)  # another visitor: the same fragments
    with app.app_context():
        assert len(fragments.cache()) == cached
    # A write around the ORM (a console, a script) moves the version too.
    change(app, lambda s: s.execute(
        sa.text("UPDATE users SET display_name = 'Budi Pustaka' WHERE username = 'budi'")
    ))  # fmt: skip
    html = view(visitor, page)
    assert "Budi Pustaka" in html and "Budi Santoso" not in html


def test_a_hidden_reply_is_never_served_to_a_visitor_from_the_cache(
    app, page, facilitator, make_user
):
    visitor, fani = client_for(app), client_for(app, facilitator)
    assert "dongeng" in view(visitor, page) and "dongeng" in view(fani, page)
    change(app, lambda s: moderation.hide_post(
        s.get(User, facilitator.id), s.get(Post, page.reply.id), "Iklan"
    ))  # fmt: skip
    assert "dongeng" not in view(visitor, page)
    html = view(fani, page)
    assert "Hidden by a facilitator: Iklan" in html and "Restore" in html
    # A librarian after the facilitator: none of her hidden-post view or controls.
    html = view(client_for(app, make_user()), page)
    assert "Iklan" not in html and "Restore" not in html


def test_a_facilitators_controls_never_reach_a_librarian(app, page, facilitator, make_user):
    change(app, lambda s: moderation.hide_post(
        s.get(User, facilitator.id), s.get(Post, page.reply.id), "Iklan"
    ))  # fmt: skip
    html = view(client_for(app, facilitator), page)
    assert "Iklan" in html and "Restore" in html
    html = view(client_for(app, make_user()), page)
    assert "Iklan" not in html and "dongeng" not in html and "Restore" not in html


def test_an_edit_shows_on_the_next_view(app, page):
    visitor = client_for(app)
    view(visitor, page)
    change(app, lambda s: threads.edit_post(
        s.get(User, page.budi.id), s.get(Post, page.reply.id), "Kami menambah rak buku anak."
    ))  # fmt: skip
    html = view(visitor, page)
    assert "rak buku anak" in html and "dongeng" not in html
    assert f"/posts/{page.reply.id}/history" in html  # the "edited" link


def test_a_role_change_shows_or_takes_away_hidden_posts(app, page, facilitator, make_user):
    change(app, lambda s: moderation.hide_post(
        s.get(User, facilitator.id), s.get(Post, page.reply.id), "Iklan"
    ))  # fmt: skip
    rina = make_user("rina", role="facilitator", scope=["nasional"])
    admin = make_user("admin", role="admin")
    browser = client_for(app, rina)
    assert "Hidden by a facilitator: Iklan" in view(browser, page)
    change(app, lambda s: moderation.set_role(
        s.get(User, admin.id), s.get(User, rina.id), "librarian"
    ))  # fmt: skip
    html = view(browser, page)
    assert "Iklan" not in html and "dongeng" not in html and "Restore" not in html


def test_a_region_scope_change_moves_the_hide_controls(app, page, make_user):
    rina = make_user("rina", role="facilitator", scope=["purwakarta"])
    browser = client_for(app, rina)
    hide = f"/mod/posts/{page.reply.id}/hide"
    assert hide in view(browser, page)
    change(app, lambda s: moderation.replace_scope(
        s.get(User, rina.id), [Region("regency", "bandung")]
    ))  # fmt: skip
    html = view(browser, page)
    assert "dongeng" in html and hide not in html


def test_a_language_switch_shows_the_other_language(app, page, facilitator):
    change(app, lambda s: moderation.hide_post(
        s.get(User, facilitator.id), s.get(Post, page.reply.id), "Iklan"
    ))  # fmt: skip
    browser = client_for(app, facilitator)
    assert "Hidden by a facilitator: Iklan" in view(browser, page)
    browser.set_cookie("lang", "id")
    change(app, lambda s: setattr(s.get(User, facilitator.id), "locale", None))
    html = view(browser, page)
    assert "Hidden by a facilitator" not in html and "Iklan" in html


def test_a_time_zone_switch_moves_the_exact_time(app, page, make_user):
    member = make_user(timezone="Asia/Jakarta")
    browser = client_for(app, member)

    def reply_time() -> tuple[int, int]:
        html = view(browser, page)
        title = re.search(rf'#post-{page.reply.id}"><time [^>]*title="([^"]+)"', html).group(1)
        hour, minute = re.search(r"(\d{1,2})[.:](\d{2})\s*(AM|PM)?$", title).group(1, 2)
        return int(hour), int(minute)

    wib = reply_time()
    change(app, lambda s: setattr(s.get(User, member.id), "timezone", "Asia/Jayapura"))
    wit = reply_time()
    assert wit[1] == wib[1] and (wit[0] - wib[0]) % 12 == 2  # WIT is WIB + 2 hours


def test_an_authors_rename_and_deletion_show_on_the_next_view(app, page):
    visitor = client_for(app)
    assert "Budi Santoso" in view(visitor, page)
    change(app, lambda s: setattr(s.get(User, page.budi.id), "display_name", "Budi Pustaka"))
    html = view(visitor, page)
    assert "Budi Pustaka" in html and "Budi Santoso" not in html
    change(app, lambda s: delete_account(s.get(User, page.budi.id)))
    html = view(visitor, page)
    assert "Budi Pustaka" not in html and "/users/budi" not in html
    assert "former member" in html and "dongeng" in html


def test_an_attachment_added_and_removed_shows_on_the_next_view(app, page, uploads):  # noqa: F811
    budi, visitor = client_for(app, page.budi), client_for(app)
    assert "laporan.pdf" not in view(visitor, page)
    edit = f"/posts/{page.reply.id}/edit"
    response = send(budi, edit, [(pdf(), "laporan.pdf")], page=edit, body="Dongeng Sabtu.")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert "laporan.pdf" in view(visitor, page)
    (attachment,) = attachments_of(app)
    change(app, lambda s: s.delete(s.get(Attachment, attachment.id)))
    assert "laporan.pdf" not in view(visitor, page)


def test_render_version_moves_with_every_change_a_fragment_shows(app, page, facilitator):
    """Below the pages: each kind of write bumps the reply's version (ORM and Core alike)."""

    def version() -> int:
        with app_db(app) as session:
            return session.scalar(sa.select(Post.render_version).where(Post.id == page.reply.id))

    writes = [
        lambda s: s.get(Post, page.reply.id).__setattr__("hidden_reason", "x"),
        lambda s: s.get(User, page.budi.id).library.__setattr__("name", "Perpustakaan Baru"),
        lambda s: s.execute(sa.update(User).where(User.id == page.budi.id)
                            .values(username="budi_s")),
        lambda s: moderation.lock(s.get(User, facilitator.id), s.get(Post, page.reply.id).thread),
    ]  # fmt: skip
    for write in writes:
        before = version()
        change(app, write)
        assert version() > before
    before = version()
    change(app, lambda s: s.execute(sa.update(User).where(User.id == page.budi.id)
                                    .values(timezone="Asia/Makassar")))  # fmt: skip
    assert version() == before  # a private setting does not throw the fragments away
    with app.app_context():
        assert db.session.get(Post, page.reply.id).render_version == before


def test_the_cache_holds_no_more_than_its_size_and_forgets_the_least_recently_used():
    store = fragments.FragmentCache(max_bytes=3 * (150 + fragments.OVERHEAD))
    for post_id in range(3):
        store.put(post_id, ("a" * 100, "b" * 50))
    store.get(0)  # read again: kept longer than post 1
    store.put(3, ("c" * 100, "d" * 50))
    assert len(store) == 3 and store.size <= store.max_bytes
    assert store.get(1) is None and store.get(0) is not None and store.get(3) is not None
