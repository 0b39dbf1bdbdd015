"""Quote reply: "Quote" on a post starts a reply with an excerpt of it, linking back to it.

Without JavaScript the link opens the reply form page
(``GET /threads/<id>/replies?quote=<post id>``). Only posts every member can
see are quoted: never a hidden or withdrawn one, whoever asks.
"""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from tests.helpers import client_for
from tests.helpers import login_as
from tests.helpers import post_form


def reply_box(response) -> str:
    match = re.search(r"<textarea[^>]*name=\"body\"[^>]*>(.*?)</textarea>", response.text, re.S)
    assert match, response.text[:500]
    return html.unescape(match.group(1)).removeprefix("\r\n")  # as a browser reads it


@pytest.fixture
def talk(make_user, make_thread, make_reply):
    rina = make_user("rina", display_name="Rina Wulandari")
    budi = make_user("budi", display_name="Budi Santoso")
    thread = make_thread(rina, title="Buku rusak karena banjir")
    answer = make_reply(
        thread,
        budi,
        body="> Bagaimana menjemurnya?\n\nJemur di tempat teduh, jangan di bawah matahari.\n\n"
        "Lalu angin-anginkan dua hari.",
    )
    return {"rina": rina, "budi": budi, "thread": thread, "answer": answer}


def test_quote_prefills_the_reply_with_an_excerpt_linking_to_the_post(app, talk):
    thread, answer = talk["thread"], talk["answer"]
    client = client_for(app, talk["rina"])
    page = client.get(f"/threads/{thread.id}")
    assert f'href="/threads/{thread.id}/replies?quote={answer.id}"' in page.text
    response = client.get(f"/threads/{thread.id}/replies?quote={answer.id}")
    assert response.status_code == 200
    assert reply_box(response) == (
        f"> Budi Santoso [wrote](/threads/{thread.id}#post-{answer.id}):\n"
        ">\n"
        "> Jemur di tempat teduh, jangan di bawah matahari.\n"
        ">\n"
        "> Lalu angin-anginkan dua hari.\n\n"
    )


def test_the_sent_quote_shows_as_a_blockquote_with_the_link(app, talk):
    thread, answer = talk["thread"], talk["answer"]
    client = client_for(app, talk["rina"])
    quoted = reply_box(client.get(f"/threads/{thread.id}/replies?quote={answer.id}"))
    response = post_form(
        client,
        f"/threads/{thread.id}/replies",
        {"body": quoted + "Terima kasih, kami coba."},
        page=f"/threads/{thread.id}",
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert f'<blockquote>\n<p>Budi Santoso <a href="/threads/{thread.id}#post-{answer.id}"' in page


def test_a_long_post_is_quoted_in_part(app, talk, make_reply):
    long = make_reply(talk["thread"], talk["budi"], body="kata " * 200)
    client = client_for(app, talk["rina"])
    quoted = reply_box(client.get(f"/threads/{talk['thread'].id}/replies?quote={long.id}"))
    assert quoted.rstrip().endswith("kata …")
    assert len(quoted) < 420


def test_the_quote_comes_after_the_members_draft(app, talk):
    thread, answer = talk["thread"], talk["answer"]
    client = client_for(app, talk["rina"])
    post_form(
        client,
        f"/threads/{thread.id}/replies",
        {"body": "Catatan saya dulu.", "save_draft": "1"},
        page=f"/threads/{thread.id}",
    )
    quoted = reply_box(client.get(f"/threads/{thread.id}/replies?quote={answer.id}"))
    assert quoted.startswith("Catatan saya dulu.\n\n> Budi Santoso")


@pytest.mark.parametrize("state", ["hidden", "withdrawn", "thread_hidden", "other_thread"])
@pytest.mark.parametrize("who", ["member", "facilitator", "author"])
def test_only_what_every_member_sees_can_be_quoted(
    app, talk, make_thread, make_user, facilitator, state, who
):
    from forum.models import Post
    from forum.models import Thread
    from tests.helpers import app_db

    thread, answer = talk["thread"], talk["answer"]
    with app_db(app) as session:
        if state == "hidden":
            session.get(Post, answer.id).hidden = True
        elif state == "withdrawn":
            session.get(Post, answer.id).withdrawn_at = sa.func.now()
        elif state == "thread_hidden":
            session.get(Thread, thread.id).hidden = True
        session.commit()
    if state == "other_thread":
        thread = make_thread(talk["rina"], title="Diskusi lain tentang pojok baca")
    viewer = {"member": make_user("sari"), "facilitator": facilitator, "author": talk["budi"]}[who]
    client = client_for(app, viewer)
    response = client.get(f"/threads/{thread.id}/replies?quote={answer.id}")
    if state == "thread_hidden" and who == "member":
        assert response.status_code == 404  # the thread itself is out of sight
    elif state == "thread_hidden":
        assert response.status_code in (403, 404)  # hidden threads take no replies
    else:
        assert response.status_code == 404
    if state != "other_thread":  # and no "Quote" link offers it where it is shown
        page = client.get(f"/threads/{talk['thread'].id}").text
        assert f"quote={answer.id}" not in page


@pytest.mark.parametrize("quote", ["abc", "-1", "99999999999999", "1.5"])
def test_a_malformed_quote_is_a_bad_request(app, talk, quote):
    client = client_for(app, talk["rina"])
    response = client.get(f"/threads/{talk['thread'].id}/replies?quote={quote}")
    assert response.status_code == 400


def test_a_visitor_is_asked_to_log_in_first(app, talk):
    response = client_for(app).get(f"/threads/{talk['thread'].id}/replies?quote=1")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_the_reply_page_without_a_quote_is_the_plain_form(app, client, talk):
    login_as(client, talk["rina"])
    response = client.get(f"/threads/{talk['thread'].id}/replies")
    assert response.status_code == 200
    assert reply_box(response) == ""
    assert "data-quoted" not in response.text
