"""Hidden and withdrawn content appears on no page a member can reach.

A unique token is planted in hidden threads, hidden replies, replies inside a
hidden thread and withdrawn posts (titles, bodies, tags). A librarian who
followed and bookmarked those threads before they were hidden then crawls every
page reachable by links from the home page, plus search, similar threads,
notifications, bookmarks and their own data export, and the token must never
show. A visitor crawls too.
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urldefrag
from urllib.parse import urlsplit

import sqlalchemy as sa

from forum.models import Post
from forum.models import Thread
from tests.helpers import app_db
from tests.helpers import csrf_token
from tests.helpers import login_as

TOKEN = "zqxrahasiatoken"
# Pages echo what was asked (the search box, ?next=): ask in capitals, which
# search and tags match regardless of case, and look for the planted lowercase.
ASK = TOKEN.upper()
# Tags on hidden threads; the tag list page echoes its (normalised) tag, so this
# one is looked for only on pages that did not ask for it.
TAG = "zqxtagrahasia"
MAX_PAGES = 300
SKIP_PREFIXES = ("/static/", "/assets/", "/auth/logout", "/attachments/")
ENTRY_PAGES = [
    "/",
    "/threads",
    "/threads/needs-help",
    "/threads?sort=helpful",
    "/threads?status=solved",
    f"/threads?tag={TAG.upper()}",
    f"/search?q={ASK}",
    f"/search?q=tag:{TAG.upper()}",
    f"/search?q={ASK}*",
    f"/search?q={ASK}~2",
    f"/search/suggest?q={ASK}",
    f"/threads/new/similar?title={ASK}+pojok+baca",
    "/notifications",
    "/bookmarks",
    "/drafts",
    "/meetings",
    "/settings/account/export",
]
LINK = re.compile(r'href="([^"]+)"')


def crawl(client, extra: list[str]) -> dict[str, str]:
    """GET every same-site page reachable from the entry pages (bounded); url -> text."""
    seen: dict[str, str] = {}
    queue = deque(ENTRY_PAGES + extra)
    while queue and len(seen) < MAX_PAGES:
        url = urldefrag(queue.popleft())[0].replace("&amp;", "&")
        if url in seen or url.startswith(SKIP_PREFIXES) or not url.startswith("/"):
            continue
        response = client.get(url)
        assert response.status_code < 500, url
        text = response.get_data(as_text=True)
        seen[url] = text
        if response.mimetype == "text/html":
            for link in LINK.findall(text):
                parts = urlsplit(link)
                if not parts.netloc and link.startswith("/"):
                    queue.append(link)
    return seen


def test_planted_token_in_hidden_content_is_on_no_reachable_page(
    app, make_user, make_thread, make_reply
):
    author, reader = make_user("penulis_utas"), make_user("pembaca_setia")
    hidden_thread = make_thread(
        author, title=f"Utas {TOKEN} tersembunyi", body=f"Isi {TOKEN}", tags=(TAG, "literasi")
    )
    inside = make_reply(hidden_thread, make_user(), body=f"Balasan di dalam {TOKEN}")
    visible = make_thread(author, title="Utas yang terlihat tentang pojok baca")
    hidden_reply = make_reply(visible, author, body=f"Balasan {TOKEN} disembunyikan")
    withdrawn_reply = make_reply(visible, author, body=f"Balasan {TOKEN} ditarik")
    withdrawn = make_thread(author, title=f"Ditarik {TOKEN} kembali", tags=(TAG,))
    client = app.test_client()
    login_as(client, reader)
    token = csrf_token(client)
    for thread in (hidden_thread, visible, withdrawn):
        # Followed and bookmarked while visible: notifications and bookmarks would leak.
        for action in ("follow", "bookmark"):
            client.post(f"/threads/{thread.id}/{action}", data={"csrf_token": token})
    make_reply(hidden_thread, author, body=f"Balasan baru {TOKEN} untuk pengikut")
    with app_db(app) as session:
        session.get(Thread, hidden_thread.id).hidden = True
        session.get(Post, hidden_reply.id).hidden = True
        session.get(Post, withdrawn_reply.id).withdrawn_at = sa.func.now()
        session.get(Thread, withdrawn.id).withdrawn_at = sa.func.now()
        session.commit()
    extra = [
        f"/users/{author.username}",
        f"/users/{reader.username}",
        f"/threads/{visible.id}",
        f"/posts/{inside.id}/history",
        f"/search?q=balasan&thread={visible.id}",
    ]
    leaks = {}
    for who, browser in (("member", client), ("visitor", app.test_client())):
        pages = crawl(browser, extra)
        assert len(pages) >= 15, sorted(pages)
        for url, text in pages.items():
            if TOKEN in text or (TAG in text and TAG.upper() not in url):
                leaks[who, url] = TOKEN if TOKEN in text else TAG
    assert leaks == {}
    # The pages were really looked at: the visible thread is there.
    assert "Utas yang terlihat" in client.get(f"/threads/{visible.id}").get_data(as_text=True)
