"""The thread page's POST buttons carry the session's CSRF token, and pressing one works."""

from __future__ import annotations

import re

from tests.helpers import client_for

FORM_RE = re.compile(
    r'<form method="post" action="([^"]+)"[^>]*>\s*'
    r'<input name="csrf_token" type="hidden" value="([^"]+)">'
)


def test_every_button_on_a_members_thread_page_works_with_its_token(
    app, make_user, make_thread, make_reply
):
    author = make_user()
    thread = make_thread(author)
    reply = make_reply(thread, body="Kami juga mencoba dongeng setiap Sabtu.")
    reader = client_for(app, make_user())
    html = reader.get(f"/threads/{thread.id}").get_data(as_text=True)
    buttons = dict(FORM_RE.findall(html))
    helpful = f"/posts/{reply.id}/helpful"
    assert helpful in buttons  # follow, bookmark, helpful per post, log out ...
    assert len(set(buttons.values())) == 1  # one token per page, not one per form object
    posts = html.split("<main", 1)[1].split('<section aria-labelledby="reply-heading">')[0]
    assert 'id="csrf_token"' not in posts  # many forms, no duplicate ids
    pressed = reader.post(helpful, data={"csrf_token": buttons[helpful]})
    assert pressed.status_code == 302
    page = reader.get(f"/threads/{thread.id}").get_data(as_text=True)
    assert "1 member found this helpful" in page


def test_a_button_without_the_token_is_refused(app, make_user, make_thread, make_reply):
    thread = make_thread(make_user())
    reply = make_reply(thread)
    reader = client_for(app, make_user())
    refused = reader.post(f"/posts/{reply.id}/helpful", data={"csrf_token": "not-the-token"})
    assert refused.status_code == 400
