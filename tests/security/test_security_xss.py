"""Every hostile payload, in every text field a member can fill, renders inert.

One test per field family loops over all payloads on one database (per
backend), so the suite stays fast while each payload reaches each field. A
page is compared with the same page holding harmless text: a payload may add
no script, event handler, dangerous URL or style.
"""

from __future__ import annotations

from urllib.parse import quote

from forum.extensions import db
from forum.forms import has_control_characters
from forum.models import Post
from forum.models import Thread
from tests.helpers import app_db
from tests.helpers import csrf_token
from tests.helpers import login_as
from tests.security.payloads import XSS_PAYLOADS
from tests.security.payloads import new_live_script


def _html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code < 500, (url, response.status_code)
    return response.get_data(as_text=True)


def _post(client, url: str, data: dict, token: str):
    response = client.post(url, data={**data, "csrf_token": token})
    assert response.status_code < 500, (url, data, response.status_code)
    return response


def _new_thread(client, token: str, title: str, body: str, tags: str):
    return _post(
        client,
        "/threads/new",
        {"kind": "practice", "title": title, "body": body, "tags": tags},
        token,
    )


def test_payloads_in_titles_bodies_and_tags_are_inert(app, make_user):
    client = app.test_client()
    author = make_user()
    login_as(client, author)
    token = csrf_token(client, "/threads/new")
    benign = _new_thread(client, token, "Judul biasa saja", "Isi biasa saja.", "literasi")
    baseline = {"thread": _html(client, benign.headers["Location"])}
    for url in ("/", "/threads", f"/users/{author.username}", "/search?q=judul"):
        baseline[url] = _html(client, url)
    failures = []
    for n, payload in enumerate(XSS_PAYLOADS):
        response = _new_thread(client, token, f"Judul {n} {payload}", payload, payload)
        if response.status_code == 302:
            page = _html(client, response.headers["Location"])
            found = new_live_script(page, baseline["thread"])
        else:  # refused (e.g. a tag with odd characters): the form echoes the text back
            found = new_live_script(response.get_data(as_text=True), baseline["thread"])
        if found:
            failures.append((payload, "thread page or form", found))
    for url, before in baseline.items():
        if url != "thread":
            found = new_live_script(_html(client, url), before)
            if found:
                failures.append(("(all)", url, found))
    assert failures == []


def test_payloads_in_replies_flag_reasons_and_hide_reasons_are_inert(app, make_user, make_thread):
    author = make_user()
    thread = make_thread(author)
    replier, facilitator = make_user(), make_user(role="facilitator")
    client, moderator = app.test_client(), app.test_client()
    login_as(client, replier)
    login_as(moderator, facilitator)
    token, mod_token = csrf_token(client), csrf_token(moderator)
    url = f"/threads/{thread.id}"
    baseline_thread = _html(client, url)
    baseline_flags = _html(moderator, "/mod/flags")
    for payload in XSS_PAYLOADS:
        _post(client, f"{url}/replies", {"body": payload}, token)
    with app_db(app) as session:
        reply_ids = session.scalars(
            db.select(Post.id).where(Post.thread_id == thread.id, Post.is_opening.is_(False))
        ).all()
    assert len(reply_ids) == len(XSS_PAYLOADS)
    for post_id, payload in zip(reply_ids, XSS_PAYLOADS, strict=True):
        _post(client, f"/posts/{post_id}/flag", {"reason": "other", "details": payload}, token)
    # Half hidden with the payload as reason: their author sees the reason.
    for post_id, payload in list(zip(reply_ids, XSS_PAYLOADS, strict=True))[::2]:
        _post(moderator, f"/mod/posts/{post_id}/hide", {"reason": payload}, mod_token)
    failures = []
    for who, browser, baseline in (
        ("replier", client, baseline_thread),
        ("facilitator", moderator, baseline_thread),
    ):
        for page in range(1, 3):
            found = new_live_script(_html(browser, f"{url}?page={page}"), baseline)
            if found:
                failures.append((who, page, found))
    found = new_live_script(_html(moderator, "/mod/flags"), baseline_flags)
    assert failures == [] and found == []


def test_payloads_in_display_and_library_names_are_inert(app, make_user, make_thread):
    member = make_user("nama_jahat")
    thread = make_thread(member, title="Utas dengan penulis bernama aneh")
    client = app.test_client()
    client.set_cookie("lang", "en")
    login_as(client, member)
    token = csrf_token(client, "/settings/profile")
    pages = (f"/threads/{thread.id}", "/users/nama_jahat", "/search?q=penulis", "/threads")
    baseline = {page: _html(client, page) for page in pages}
    failures = []
    for n, payload in enumerate(XSS_PAYLOADS):
        response = _post(
            client,
            "/settings/profile",
            {
                "display_name": payload[:80],
                "email": "nama_jahat@contoh.id",
                "timezone": "Asia/Jakarta",
                "language": "en",
                "library_name": payload[:120],
                "village": payload[:80],
                "district": payload[:80],
                "region": "purwakarta",
                "province": "jawa-barat",
            },
            token,
        )
        if has_control_characters(payload):  # one line means one line (test_single_line.py)
            if response.status_code != 400:
                failures.append((payload, "accepted a control character", response.status_code))
            continue
        if response.status_code != 302:
            failures.append((payload, "refused", response.status_code))
            continue
        # The thread page and profile each time; lists and search now and then.
        for page in pages if n % 4 == 0 else pages[:2]:
            found = new_live_script(_html(client, page), baseline[page])
            if found:
                failures.append((payload, page, found))
    assert failures == []


def _register(app, n: int, name: str):
    visitor = app.test_client()
    response = _post(
        visitor,
        "/auth/register",
        {
            "username": f"pendaftar_{n}",
            "display_name": name[:80],
            "email": f"p{n}@contoh.id",
            "password": "rahasia-sekali",
            "confirm": "rahasia-sekali",
            "library_name": name[:120],
            "village": "Cibatu",
            "district": "Cibatu",
            "region": "purwakarta",
            "province": "jawa-barat",
        },
        csrf_token(visitor, "/auth/register"),
    )
    return visitor, response


def test_payloads_registered_as_names_are_inert(app):
    _visitor, benign = _register(app, 999, "Nama Biasa")
    assert benign.status_code == 302
    baseline_profile = _html(app.test_client(), "/users/pendaftar_999")
    baseline_form = _html(app.test_client(), "/auth/register")
    failures = []
    for n, payload in enumerate(XSS_PAYLOADS):
        visitor, response = _register(app, n, payload)
        if response.status_code == 302:  # accepted: the public profile shows the names
            found = new_live_script(_html(visitor, f"/users/pendaftar_{n}"), baseline_profile)
        else:  # refused: the form echoes what was typed
            found = new_live_script(response.get_data(as_text=True), baseline_form)
        if found:
            failures.append((payload, found))
    assert failures == []


def test_search_queries_echoed_back_are_inert(app, client, make_thread, make_user):
    make_thread(title="Kegiatan literasi di balai desa")
    moderator = app.test_client()
    login_as(moderator, make_user(role="facilitator"))
    targets = (
        (client, "/search?q={}"),
        (client, "/search?q=literasi&author={}"),
        (client, "/search/suggest?q={}"),
        (client, "/threads/new/similar?title={}"),
        (client, "/threads?tag={}"),
        (client, "/auth/login?next={}"),
        (moderator, "/mod/log?actor={}"),
        (moderator, "/mod/search-log"),
    )
    baseline = {url: _html(browser, url.format("biasa")) for browser, url in targets}
    failures = []
    for payload in XSS_PAYLOADS:
        for browser, url in targets:
            address = url.format(quote(payload, safe=""))
            response = browser.get(address)
            assert response.status_code < 500, address
            found = new_live_script(response.get_data(as_text=True), baseline[url])
            if found:
                failures.append((payload, url, found))
    assert failures == []


def test_hidden_thread_reason_shown_to_its_author_is_inert(app, make_user, make_thread):
    author = make_user()
    thread = make_thread(author)
    facilitator = app.test_client()
    login_as(facilitator, make_user(role="facilitator"))
    reader = app.test_client()
    login_as(reader, author)
    baseline = _html(reader, f"/threads/{thread.id}")
    token = csrf_token(facilitator)
    failures = []
    for payload in XSS_PAYLOADS[::3]:
        _post(facilitator, f"/mod/threads/{thread.id}/restore", {}, token)
        _post(facilitator, f"/mod/threads/{thread.id}/hide", {"reason": payload}, token)
        with app_db(app) as session:
            assert session.get(Thread, thread.id).hidden
        found = new_live_script(_html(reader, f"/threads/{thread.id}"), baseline)
        if found:
            failures.append((payload, found))
    assert failures == []


def test_a_suspension_reason_shown_to_the_member_is_inert(app, make_user, make_thread):
    """The reason comes back inside a translated sentence (the refusal to reply); a lazy
    translation would count as safe HTML and carry the reason's markup with it."""
    member = make_user()
    thread = make_thread()
    reader = app.test_client()
    login_as(reader, member)
    refused_page = f"/threads/{thread.id}/replies"
    failures = []
    for payload in ["Nama Biasa", *XSS_PAYLOADS[::3]]:
        with app_db(app) as session:
            user = session.get(type(member), member.id)
            user.suspended_indefinitely = True
            user.suspension_reason = payload
            session.commit()
        if payload == "Nama Biasa":
            baseline = _html(reader, refused_page)
            assert "Nama Biasa" in baseline
            continue
        found = new_live_script(_html(reader, refused_page), baseline)
        if found:
            failures.append((payload, found))
    assert failures == []
