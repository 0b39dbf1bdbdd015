"""After posting, a member is told it worked; the bell's list says what was written (issue 16)."""

from __future__ import annotations

from forum.models import Post
from tests.helpers import app_db
from tests.helpers import login_as
from tests.helpers import main_text
from tests.helpers import send_form


def test_posting_a_thread_and_a_reply_says_so(app, client, make_user, make_thread):
    login_as(client, make_user())
    client.set_cookie("lang", "id")
    response = send_form(
        client,
        "/threads/new",
        {"kind": "challenge", "title": "Atap bocor di ruang baca", "body": "Bagaimana?"},
    )
    assert response.status_code == 302
    page = main_text(client.get(response.location))
    assert "Diskusi Anda sudah terbit." in page

    thread = make_thread(title="Pojok baca di pasar")
    response = send_form(client, f"/threads/{thread.id}/replies", {"body": "Kami juga!"})
    assert response.status_code == 302
    page = main_text(client.get(response.location))
    assert "Balasan Anda sudah terkirim." in page
    assert "Diskusi Anda sudah terbit." not in page  # each message once


def test_a_notification_shows_a_plain_excerpt_of_what_was_written_while_it_is_public(
    app, client, make_user, make_thread, make_reply
):
    author = make_user()
    thread = make_thread(author, title="Rak buku dari bambu")
    reply = make_reply(
        thread, body="Kami pakai **bambu petung**, [lihat foto](https://contoh.id/rak). " * 5
    )
    login_as(client, author)
    client.set_cookie("lang", "id")

    page = main_text(client.get("/notifications"))
    excerpt = page.split('<span class="excerpt">', 1)[1].split("</span>", 1)[0]
    assert excerpt.startswith("Kami pakai bambu petung, lihat foto.")
    assert "**" not in excerpt and "https://" not in excerpt and len(excerpt) <= 120

    with app_db(app) as session:
        session.get(Post, reply.id).hidden = True  # a facilitator hid it
        session.commit()
    assert "bambu petung" not in main_text(client.get("/notifications"))
