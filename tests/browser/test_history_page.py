"""A post's edit history on a phone and a desktop: pages of versions, a redacted one."""

from __future__ import annotations

import sqlalchemy as sa
from playwright.sync_api import expect

from forum.auth.service import create_user
from forum.extensions import db
from forum.models import Post
from forum.models import PostRevision
from forum.threads import service
from tests.browser.helpers import BROWSER_TEST_MARKS
from tests.browser.helpers import assert_phone_friendly
from tests.browser.helpers import log_in
from tests.browser.helpers import screenshot

pytestmark = BROWSER_TEST_MARKS
PHONE = "0812-3456-7890"


def edited_reply(app) -> int:
    """A reply edited 13 times; its first version gave a phone number."""
    with app.app_context():
        author = create_user(
            "asep_sukamaju", "asep@contoh.id", "rahasia-asep", display_name="Asep Saepudin"
        )
        create_user(
            "fani", "fani@contoh.id", "rahasia-fani", display_name="Fani", role="facilitator"
        )
        thread = service.create_thread(
            author, "practice", "Jadwal dongeng di balai desa", "Setiap Sabtu pagi.", []
        )
        reply = service.create_reply(author, thread, f"Hubungi saya di {PHONE} untuk jadwal.")
        db.session.commit()
        for n in range(1, 14):
            service.edit_post(
                author,
                db.session.get(Post, reply.id),
                f"Jadwal versi {n}: **Sabtu** pukul {7 + n % 5}.00, bawa tikar sendiri. "
                "Kami juga mengundang kader posyandu untuk ikut mendongeng.",
            )
            db.session.commit()
        return reply.id


def test_history_pages_and_a_redacted_version(sqlite_app, live_server, open_page):
    reply_id = edited_reply(sqlite_app)
    for device in ("phone", "desktop"):
        author = open_page(device)
        log_in(author, live_server, "asep_sukamaju", "rahasia-asep")
        author.goto(f"{live_server}/posts/{reply_id}/history?page=2")
        if device == "phone":  # the first device redacts it
            expect(author.get_by_text(PHONE)).to_be_visible()
            author.locator(".post", has_text=PHONE).get_by_role(
                "button", name="Sembunyikan versi ini"
            ).click()
            author.wait_for_url(f"**/posts/{reply_id}/history?page=2")
        expect(author.get_by_text("disunting untuk privasi", exact=True)).to_be_visible()
        assert author.get_by_text(PHONE).count() == 0
        assert_phone_friendly(author)
        screenshot(author, "history-author-page2")

        visitor = open_page(device)
        visitor.goto(f"{live_server}/posts/{reply_id}/history")
        expect(visitor.get_by_role("heading", name="Versi sekarang")).to_be_visible()
        expect(visitor.get_by_role("link", name="Berikutnya")).to_be_visible()
        assert_phone_friendly(visitor)
        screenshot(visitor, "history-visitor-page1")
        visitor.get_by_role("link", name="Berikutnya").click()
        expect(visitor.get_by_text("disunting untuk privasi", exact=True)).to_be_visible()
        assert visitor.get_by_text(PHONE).count() == 0
        screenshot(visitor, "history-visitor-page2")

        facilitator = open_page(device)
        log_in(facilitator, live_server, "fani", "rahasia-fani")
        facilitator.goto(f"{live_server}/posts/{reply_id}/history?page=2")
        expect(facilitator.get_by_text(PHONE)).to_be_visible()
        assert_phone_friendly(facilitator)
        screenshot(facilitator, "history-facilitator-page2")
    with sqlite_app.app_context():
        redacted = sa.select(sa.func.count()).where(PostRevision.redacted_at.is_not(None))
        assert db.session.scalar(redacted) == 1


def test_a_facilitator_editing_a_flagged_post_is_offered_to_redact(
    sqlite_app, live_server, open_page
):
    from forum.models import User
    from forum.moderation.service import flag_post

    reply_id = edited_reply(sqlite_app)
    with sqlite_app.app_context():
        reporter = create_user("rani", "rani@contoh.id", "rahasia-rani", display_name="Rani")
        flag_post(reporter, db.session.get(Post, reply_id), "private_data")
        db.session.commit()
        assert db.session.scalar(sa.select(User).where(User.username == "fani"))
    for device in ("phone", "desktop"):
        facilitator = open_page(device)
        log_in(facilitator, live_server, "fani", "rahasia-fani")
        facilitator.goto(f"{live_server}/posts/{reply_id}/edit")
        box = facilitator.get_by_label("Sembunyikan versi-versi sebelumnya (demi privasi)")
        expect(box).to_be_checked()
        assert_phone_friendly(facilitator)
        screenshot(facilitator, "edit-flagged-post")
