"""Words a librarian reads in lists and profiles (issue 16): who spoke last, no seconds,
and filters that say what they list."""

from __future__ import annotations

from forum.models import Thread
from forum.models import utcnow
from tests.helpers import app_db
from tests.helpers import at
from tests.helpers import main_text


def list_row(html: str, title: str) -> str:
    return html.split(f">{title}</a>", 1)[1].split("</li>", 1)[0]


def test_a_list_names_who_replied_last_beside_the_last_activity(
    client, make_user, make_thread, make_reply
):
    author = make_user(display_name="Siti Penulis")
    replier = make_user(display_name="Budi Pembalas")
    late = make_user(display_name="Tono Tersembunyi")
    thread = make_thread(author, title="Jadwal buka saat panen")
    make_reply(thread, replier)
    make_reply(thread, late, hidden=True)  # hidden by a facilitator: not the last word
    make_thread(author, title="Belum ada yang membalas")
    client.set_cookie("lang", "id")

    for path in ["/threads", "/"]:
        html = main_text(client.get(path))
        row = list_row(html, "Jadwal buka saat panen")
        assert "Balasan terakhir:" in row and "Budi Pembalas" in row, path
        assert "Tono Tersembunyi" not in row
        assert "Siti Penulis" in row  # who opened it stays, without the reply's time
        quiet = list_row(html, "Belum ada yang membalas")
        assert "Balasan terakhir" not in quiet and "Siti Penulis" in quiet


def test_a_profile_shows_the_join_date_and_times_without_seconds(client, make_user, make_thread):
    member = make_user("siti_penulis", created_at=at("2026-03-03T15:46:34"))
    make_thread(member, title="Pojok baca")
    client.set_cookie("lang", "id")
    html = main_text(client.get("/users/siti_penulis"))
    assert "anggota sejak 3 Maret 2026" in html  # 22.46 in Jakarta, the same day
    assert "22.46.34" not in html and "22.46" not in html
    for title in html.split('title="')[1:]:
        exact = title.split('"', 1)[0]
        assert exact.count(".") <= 1 and exact.count(":") <= 1, exact  # hours and minutes


def test_the_unsolved_filter_says_unsolved_and_lists_answered_but_unsolved_challenges(
    app, client, make_user, make_thread, make_reply
):
    asker = make_user()
    open_one = make_thread(asker, kind="challenge", title="Buku rusak kena banjir")
    make_reply(open_one)  # replied to, still not solved
    solved = make_thread(asker, kind="challenge", title="Rak roboh")
    answer = make_reply(solved)
    with app_db(app) as session:
        row = session.get(Thread, solved.id)
        row.accepted_post_id, row.solved_at = answer.id, utcnow()  # as threads.service.solve does
        session.commit()
    client.set_cookie("lang", "id")

    html = main_text(client.get("/threads?status=unsolved"))
    assert '<option value="unsolved" selected>Tantangan yang belum teratasi</option>' in html
    assert "Buku rusak kena banjir" in html
    assert "Rak roboh" not in html
