"""Moderating threads and posts: hide and restore, pin, lock, move, edit, solve, flags, the log.

Who may do what is tested route by route in test_permission_matrix.py; these
tests follow what each action does, and what members, visitors, authors and
facilitators see afterwards.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from forum.models import Post
from forum.models import PostRevision
from forum.models import Thread
from forum.moderation.models import Flag
from forum.moderation.models import ModerationAction
from tests.helpers import app_db
from tests.helpers import client_for
from tests.helpers import main_text
from tests.helpers import send_form


def row(app, model, id_):
    with app_db(app) as session:
        obj = session.get(model, id_)
        session.expunge(obj)
        return obj


def log_actions(app) -> list[tuple[str, str | None]]:
    with app_db(app) as session:
        return [
            (entry.action, entry.reason)
            for entry in session.scalars(sa.select(ModerationAction).order_by(ModerationAction.id))
        ]


# --- hiding and restoring --------------------------------------------------------------


def listing_pages(author, replier, thread):
    """Every page that lists threads or counts contributions."""
    return [
        "/",
        "/threads",
        f"/threads?kind={thread.kind}",
        "/threads?status=unsolved",
        "/threads/needs-help",
        f"/users/{author.username}",
        f"/users/{replier.username}",
    ]


def test_hidden_thread_disappears_for_members_and_visitors_everywhere(
    app, make_user, make_thread, make_reply, facilitator
):
    author, replier, reader = make_user("lina"), make_user("oki"), make_user("rani")
    thread = make_thread(author, kind="challenge", title="Daftar nomor HP warga desa")
    reply = make_reply(thread, replier, body="Balasan di utas yang disembunyikan")
    mod = client_for(app, facilitator)
    response = send_form(mod, f"/mod/threads/{thread.id}/hide", {"reason": "Data pribadi warga"})
    assert response.status_code == 302

    for viewer in (client_for(app), client_for(app, reader), client_for(app, replier)):
        for page in listing_pages(author, replier, thread):
            html = main_text(viewer.get(page))
            assert "Daftar nomor HP warga desa" not in html, page
        assert "0 threads" in main_text(viewer.get(f"/users/{author.username}"))
        assert "0 replies" in main_text(viewer.get(f"/users/{replier.username}"))
        assert viewer.get(f"/threads/{thread.id}").status_code == 404
        assert viewer.get(f"/posts/{reply.id}/history").status_code == 404

    facilitator_view = main_text(mod.get(f"/threads/{thread.id}"))
    assert "This thread is hidden by a facilitator: Data pribadi warga" in facilitator_view
    assert "Balasan di utas yang disembunyikan" in facilitator_view
    assert "Daftar nomor HP warga desa" in main_text(mod.get("/threads"))
    author_view = main_text(client_for(app, author).get(f"/threads/{thread.id}"))
    assert "This thread is hidden by a facilitator: Data pribadi warga" in author_view
    assert "Hidden" in main_text(client_for(app, author).get("/users/lina"))


def test_hidden_reply_is_gone_for_others_but_shown_to_its_author_with_the_reason(
    app, make_user, make_thread, make_reply, facilitator
):
    replier, reader = make_user("oki"), make_user("rani")
    thread = make_thread(title="Rak buku dari bambu")
    reply = make_reply(thread, replier, body="Jual pulsa murah hubungi saya")
    mod = client_for(app, facilitator)
    assert send_form(mod, f"/mod/posts/{reply.id}/hide", {"reason": "Iklan"}).status_code == 302

    for viewer in (client_for(app), client_for(app, reader)):
        assert "Jual pulsa murah" not in main_text(viewer.get(f"/threads/{thread.id}"))
        assert "0 replies" in main_text(viewer.get("/threads"))
        profile = main_text(viewer.get("/users/oki"))
        assert "Rak buku dari bambu" not in profile and "0 replies" in profile
        assert viewer.get(f"/posts/{reply.id}/history").status_code == 404
    own = main_text(client_for(app, replier).get(f"/threads/{thread.id}"))
    assert "Jual pulsa murah" in own and "Hidden by a facilitator: Iklan" in own
    marked = main_text(mod.get(f"/threads/{thread.id}"))
    assert "Jual pulsa murah" in marked and "Hidden by a facilitator: Iklan" in marked
    with app_db(app) as session:
        assert session.get(Post, reply.id) is not None  # hidden, never deleted


def test_restoring_a_thread_brings_back_only_what_its_hide_hid(
    app, make_user, make_thread, make_reply, facilitator
):
    thread = make_thread(title="Lomba mewarnai")
    kept = make_reply(thread, body="Balasan yang baik")
    rude = make_reply(thread, body="Balasan yang kasar")
    mod = client_for(app, facilitator)
    send_form(mod, f"/mod/posts/{rude.id}/hide", {"reason": "Kasar"})
    send_form(mod, f"/mod/threads/{thread.id}/hide", {"reason": "Sedang diperiksa"})
    assert send_form(mod, f"/mod/threads/{thread.id}/restore").status_code == 302

    page = main_text(client_for(app).get(f"/threads/{thread.id}"))
    assert "Balasan yang baik" in page
    assert "Balasan yang kasar" not in page
    assert row(app, Post, rude.id).hidden_reason == "Kasar"
    assert not row(app, Post, kept.id).hidden
    assert log_actions(app) == [
        ("hide_post", "Kasar"),
        ("hide_thread", "Sedang diperiksa"),
        ("restore_thread", None),
    ]


def test_hiding_the_opening_post_hides_its_thread(app, make_thread, facilitator):
    thread = make_thread()
    with app_db(app) as session:
        opening_id = session.get(Thread, thread.id).opening_post.id
    mod = client_for(app, facilitator)
    assert send_form(mod, f"/mod/posts/{opening_id}/hide", {"reason": "Spam"}).status_code == 302
    assert row(app, Thread, thread.id).hidden
    assert not row(app, Post, opening_id).hidden
    send_form(mod, f"/mod/posts/{opening_id}/restore")
    assert not row(app, Thread, thread.id).hidden


def test_hiding_needs_a_reason_and_shows_the_form_again(app, make_thread, facilitator):
    thread = make_thread(title="Perpustakaan keliling")
    mod = client_for(app, facilitator)
    assert mod.get(f"/mod/threads/{thread.id}/hide").status_code == 200
    for reason in ["", "   ", "x" * 501]:
        response = send_form(mod, f"/mod/threads/{thread.id}/hide", {"reason": reason})
        assert response.status_code == 400
        assert 'name="reason"' in main_text(response)
    assert not row(app, Thread, thread.id).hidden
    assert log_actions(app) == []


# --- pin, lock, move, edit -------------------------------------------------------------


def test_pinned_thread_comes_first_until_unpinned(app, make_thread, facilitator):
    older = make_thread(title="Utas lama yang penting")
    make_thread(title="Utas baru biasa")
    mod = client_for(app, facilitator)
    send_form(mod, f"/mod/threads/{older.id}/pin")
    titles = re.findall(
        r"class=\"thread-title\"><a [^>]+>([^<]+)</a>", main_text(client_for(app).get("/threads"))
    )
    assert titles == ["Utas lama yang penting", "Utas baru biasa"]
    send_form(mod, f"/mod/threads/{older.id}/unpin")
    titles = re.findall(
        r"class=\"thread-title\"><a [^>]+>([^<]+)</a>", main_text(client_for(app).get("/threads"))
    )
    assert titles == ["Utas baru biasa", "Utas lama yang penting"]


def test_locked_thread_refuses_replies_and_says_why(app, make_user, make_thread, facilitator):
    member = make_user()
    thread = make_thread(title="Jadwal pertemuan")
    mod = client_for(app, facilitator)
    send_form(mod, f"/mod/threads/{thread.id}/lock")
    browser = client_for(app, member)
    page = main_text(browser.get(f"/threads/{thread.id}"))
    assert "This thread is locked by a facilitator: no new replies." in page
    refused = send_form(browser, f"/threads/{thread.id}/replies", {"body": "Saya ikut!"})
    assert refused.status_code == 403
    assert "This thread is locked: no new replies." in main_text(refused)
    send_form(mod, f"/mod/threads/{thread.id}/unlock")
    assert send_form(browser, f"/threads/{thread.id}/replies", {"body": "Ikut"}).status_code == 302


def test_moving_a_solved_challenge_to_practices_clears_its_answer(
    app, make_user, make_thread, make_reply, facilitator
):
    thread = make_thread(kind="challenge")
    answer = make_reply(thread)
    mod = client_for(app, facilitator)
    send_form(mod, f"/threads/{thread.id}/solve", {"post_id": str(answer.id)})
    assert send_form(mod, f"/mod/threads/{thread.id}/move", {"kind": "practice"}).status_code == 302
    moved = row(app, Thread, thread.id)
    assert (moved.kind, moved.accepted_post_id, moved.solved_at) == ("practice", None, None)
    assert ("move", None) in log_actions(app)


def test_moving_to_an_unknown_kind_is_a_form_error(app, make_thread, facilitator):
    thread = make_thread(kind="practice")
    mod = client_for(app, facilitator)
    for kind in ["", "pengumuman"]:
        response = send_form(mod, f"/mod/threads/{thread.id}/move", {"kind": kind})
        assert response.status_code == 400
    assert row(app, Thread, thread.id).kind == "practice"


def test_facilitator_edits_a_members_post_and_the_history_shows_who(
    app, make_thread, make_reply, facilitator
):
    reply = make_reply(make_thread(), body="Hubungi 0812-3456-7890")
    mod = client_for(app, facilitator)
    response = send_form(mod, f"/posts/{reply.id}/edit", {"body": "Hubungi lewat pesan pribadi"})
    assert response.status_code == 302
    with app_db(app) as session:
        post = session.get(Post, reply.id)
        assert post.edited_by.username == "fani"
        revision = session.scalar(sa.select(PostRevision).where(PostRevision.post_id == reply.id))
        assert revision.body == "Hubungi 0812-3456-7890"
    history = main_text(client_for(app).get(f"/posts/{reply.id}/history"))
    assert "Fani Fasilitator" in history
    assert log_actions(app) == [("edit_post", None)]


# --- solved challenges -----------------------------------------------------------------


def test_author_accepts_a_reply_it_shows_first_and_can_be_changed_or_cleared(
    app, make_user, make_thread, make_reply
):
    author = make_user("lina")
    thread = make_thread(author, kind="challenge", title="Anak jarang datang")
    first = make_reply(thread, body="Coba dongeng hari Sabtu")
    second = make_reply(thread, body="Ajak kader posyandu")
    browser = client_for(app, author)

    response = send_form(browser, f"/threads/{thread.id}/solve", {"post_id": str(second.id)})
    assert response.status_code == 302
    page = main_text(client_for(app).get(f"/threads/{thread.id}"))
    assert page.index("Accepted answer") < page.index("Coba dongeng hari Sabtu")
    assert page.index("Ajak kader posyandu") < page.index("Coba dongeng hari Sabtu")
    assert "Solved" in page

    send_form(browser, f"/threads/{thread.id}/solve", {"post_id": str(first.id)})
    assert row(app, Thread, thread.id).accepted_post_id == first.id
    send_form(browser, f"/threads/{thread.id}/solve", {"post_id": ""})
    cleared = row(app, Thread, thread.id)
    assert (cleared.accepted_post_id, cleared.solved_at) == (None, None)
    assert log_actions(app) == []  # the author's own choice is not moderation


def test_facilitator_choosing_an_answer_is_logged(app, make_thread, make_reply, facilitator):
    thread = make_thread(kind="challenge")
    reply = make_reply(thread)
    send_form(
        client_for(app, facilitator), f"/threads/{thread.id}/solve", {"post_id": str(reply.id)}
    )
    assert log_actions(app) == [("solve", None)]


def test_only_a_visible_reply_of_the_thread_can_be_the_answer(
    app, make_user, make_thread, make_reply
):
    author = make_user("lina")
    thread = make_thread(author, kind="challenge")
    with app_db(app) as session:
        opening_id = session.get(Thread, thread.id).opening_post.id
    browser = client_for(app, author)
    for post_id in [
        opening_id,
        make_reply(make_thread(kind="challenge")).id,  # another thread's reply
        make_reply(thread, hidden=True).id,
        999_999,
        "1; DROP",
    ]:
        response = send_form(browser, f"/threads/{thread.id}/solve", {"post_id": str(post_id)})
        assert response.status_code == 400, post_id
        assert "Only a visible reply in this thread can be the accepted answer." in main_text(
            response
        )
    assert row(app, Thread, thread.id).accepted_post_id is None


def test_a_practice_cannot_be_solved(app, make_user, make_thread, make_reply):
    author = make_user()
    thread = make_thread(author, kind="practice")
    reply = make_reply(thread)
    response = send_form(
        client_for(app, author), f"/threads/{thread.id}/solve", {"post_id": str(reply.id)}
    )
    assert response.status_code == 403
    assert "Only a challenge can be marked solved." in main_text(response)


def test_status_filter_and_the_needs_help_list(app, make_thread, make_reply, facilitator):
    from datetime import UTC
    from datetime import datetime

    def challenge(title, day, **columns):
        return make_thread(
            kind="challenge", title=title, created_at=datetime(2026, 1, day, tzinfo=UTC), **columns
        )

    challenge("Tantangan baru tanpa jawaban", 20)
    challenge("Tantangan lama tanpa jawaban", 5)
    solved = challenge("Tantangan yang sudah terjawab", 1)
    challenge("Tantangan tersembunyi", 2, hidden=True)
    make_thread(kind="practice", title="Praktik baik biasa")
    send_form(
        client_for(app, facilitator),
        f"/threads/{solved.id}/solve",
        {"post_id": str(make_reply(solved).id)},
    )
    visitor = client_for(app)

    def titles(url):
        return re.findall(
            r"class=\"thread-title\"><a [^>]+>([^<]+)</a>", main_text(visitor.get(url))
        )

    assert titles("/threads/needs-help") == [
        "Tantangan lama tanpa jawaban",
        "Tantangan baru tanpa jawaban",
    ]
    assert sorted(titles("/threads?status=unsolved")) == sorted(
        ["Tantangan baru tanpa jawaban", "Tantangan lama tanpa jawaban"]
    )
    assert titles("/threads?status=solved") == ["Tantangan yang sudah terjawab"]
    assert len(titles("/threads?status=nonsense")) == 4


# --- flags -----------------------------------------------------------------------------


def test_member_flags_a_post_once(app, make_user, make_thread, make_reply):
    reply = make_reply(make_thread(), body="Isi yang kasar")
    browser = client_for(app, make_user("rani"))
    assert browser.get(f"/posts/{reply.id}/flag").status_code == 200
    first = send_form(browser, f"/posts/{reply.id}/flag", {"reason": "rude", "details": ""})
    assert first.status_code == 302
    again = send_form(browser, f"/posts/{reply.id}/flag", {"reason": "spam", "details": ""})
    assert again.status_code == 403
    assert "You have already flagged this" in main_text(again)
    with app_db(app) as session:
        assert [f.reason for f in session.scalars(sa.select(Flag))] == ["rude"]


def test_nobody_flags_their_own_post(app, make_user, make_thread, make_reply):
    author = make_user("rani")
    reply = make_reply(make_thread(), author, body="Balasan saya sendiri")
    browser = client_for(app, author)
    assert ">Flag<" not in main_text(browser.get(f"/threads/{reply.thread_id}"))
    refused = send_form(browser, f"/posts/{reply.id}/flag", {"reason": "spam", "details": ""})
    assert refused.status_code == 403
    assert "You cannot flag your own post" in main_text(refused)
    with app_db(app) as session:
        assert session.scalar(sa.select(sa.func.count(Flag.id))) == 0


def test_a_flag_needs_a_known_reason_and_details_for_other(app, make_user, make_thread):
    thread = make_thread()
    browser = client_for(app, make_user())
    for data in [
        {"reason": "", "details": ""},
        {"reason": "bosan", "details": ""},
        {"reason": "other", "details": "  "},
        {"reason": "spam", "details": "x" * 501},
    ]:
        response = send_form(browser, f"/threads/{thread.id}/flag", data)
        assert response.status_code == 400, data
        assert 'name="details"' in main_text(response)
    with app_db(app) as session:
        assert session.scalar(sa.select(sa.func.count(Flag.id))) == 0


def _flag(app, user, post_id, reason="spam"):
    send_form(client_for(app, user), f"/posts/{post_id}/flag", {"reason": reason, "details": ""})


def test_flag_queue_lists_most_flagged_first_then_the_oldest(
    app, make_user, make_thread, make_reply, facilitator
):
    thread = make_thread(title="Utas yang dilaporkan")
    once_old = make_reply(thread, body="Dilaporkan sekali, paling awal")
    twice = make_reply(thread, body="Dilaporkan dua kali")
    once_new = make_reply(thread, body="Dilaporkan sekali, paling baru")
    members = [make_user() for _ in range(2)]
    _flag(app, members[0], once_old.id)
    _flag(app, members[0], twice.id)
    _flag(app, members[1], twice.id, reason="rude")
    _flag(app, members[1], once_new.id)
    page = main_text(client_for(app, facilitator).get("/mod/flags"))
    order = [page.index(body) for body in ("dua kali", "paling awal", "paling baru")]
    assert order == sorted(order)
    assert "2 open flags" in page


@pytest.mark.parametrize("action", ["hide", "keep", "edit"])
def test_resolving_closes_all_flags_of_the_post(
    app, make_user, make_thread, make_reply, facilitator, action
):
    reply = make_reply(make_thread(), body="Isi yang dilaporkan")
    for member in (make_user(), make_user()):
        _flag(app, member, reply.id)
    with app_db(app) as session:
        flag_id = session.scalar(sa.select(sa.func.min(Flag.id)))
    mod = client_for(app, facilitator)
    response = send_form(mod, f"/mod/flags/{flag_id}/resolve", {"action": action, "note": "Iklan"})
    assert response.status_code == 302
    if action == "edit":
        assert response.headers["Location"] == f"/posts/{reply.id}/edit"
    with app_db(app) as session:
        flags = session.scalars(sa.select(Flag)).all()
        assert {(f.resolution, f.resolved_by_id) for f in flags} == {(action, facilitator.id)}
        assert session.get(Post, reply.id).hidden is (action == "hide")
    assert "Nothing is waiting" in main_text(mod.get("/mod/flags"))


def test_hiding_from_the_queue_needs_a_note(app, make_user, make_thread, make_reply, facilitator):
    reply = make_reply(make_thread())
    _flag(app, make_user(), reply.id)
    with app_db(app) as session:
        flag_id = session.scalar(sa.select(Flag.id))
    mod = client_for(app, facilitator)
    response = send_form(mod, f"/mod/flags/{flag_id}/resolve", {"action": "hide", "note": ""})
    assert response.status_code == 400
    assert row(app, Flag, flag_id).resolved_at is None
    assert not row(app, Post, reply.id).hidden


def test_a_flagged_thread_is_in_the_queue_by_its_opening_post(
    app, make_user, make_thread, facilitator
):
    thread = make_thread(title="Judul utas yang dilaporkan")
    browser = client_for(app, make_user())
    send_form(browser, f"/threads/{thread.id}/flag", {"reason": "off_topic", "details": ""})
    assert "You flagged this thread" in main_text(browser.get(f"/threads/{thread.id}"))
    assert "Judul utas yang dilaporkan" in main_text(client_for(app, facilitator).get("/mod/flags"))


# --- the log ---------------------------------------------------------------------------


def test_the_log_lists_who_did_what_and_filters(app, make_user, make_thread, facilitator):
    other = make_user("feri", role="facilitator")
    thread = make_thread(title="Utas untuk dicatat")
    send_form(client_for(app, facilitator), f"/mod/threads/{thread.id}/lock")
    send_form(client_for(app, other), f"/mod/threads/{thread.id}/hide", {"reason": "Ganda"})
    mod = client_for(app, facilitator)

    def log_rows(url) -> str:
        return main_text(mod.get(url)).split("<tbody>", 1)[1]

    everything = log_rows("/mod/log")
    assert "Locked a thread" in everything and "Hid a thread" in everything
    assert "Utas untuk dicatat" in everything and "Ganda" in everything
    by_feri = log_rows("/mod/log?actor=feri")
    assert "Hid a thread" in by_feri and "Locked a thread" not in by_feri
    locks = log_rows("/mod/log?action=lock&page=1")
    assert "Locked a thread" in locks and "Hid a thread" not in locks
    assert "Nothing recorded yet." in log_rows("/mod/log?page=2")


def test_the_log_cannot_be_changed_from_the_web(app, facilitator):
    mod = client_for(app, facilitator)
    assert send_form(mod, "/mod/log", {"action": "pin"}).status_code == 405
