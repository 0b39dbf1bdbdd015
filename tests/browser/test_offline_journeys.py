"""Reading and writing offline (issue 23) in Debian's Chromium with its service worker.

Each journey runs in its own browser profile (a context with service workers
allowed) against the shared demo community; ``context.set_offline(True)`` cuts
the signal. Saved threads are what a visitor sees; the outbox sends each text
once, for its own member only.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from forum.extensions import db
from forum.models import Post
from forum.models import Thread
from forum.models import User
from forum.threads import service as threads
from tests.browser.helpers import BROWSER_TEST_MARKS
from tests.browser.helpers import SCREENSHOTS
from tests.browser.helpers import header_menu
from tests.browser.helpers import log_in
from tests.browser.helpers import screenshot

pytestmark = BROWSER_TEST_MARKS

# What this phone keeps: saved pages in the Cache API, saved threads and the outbox in
# IndexedDB. Read without offline.js's help, so a test sees what is really there.
KEPT_JS = """
async () => {
  const cached = (await caches.open("serambi-saved").then((c) => c.keys()))
    .filter((r) => !new URL(r.url).pathname.startsWith("/assets/"));  // pages and thumbnails
  const kept = {pages: cached.length, saved: 0, outbox: 0};
  if (!(await indexedDB.databases()).some((d) => d.name === "serambi")) return kept;
  const db = await new Promise((ok) => {
    indexedDB.open("serambi").onsuccess = (e) => ok(e.target.result);
  });
  for (const name of ["saved", "outbox"]) {
    kept[name] = await new Promise((ok) => {
      db.transaction(name).objectStore(name).count().onsuccess = (e) => ok(e.target.result);
    });
  }
  db.close();
  return kept;
}
"""


@pytest.fixture
def phone(browser):
    """A fresh phone profile at 360x740 whose service worker may run."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="id-ID", service_workers="allow"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def kept(page) -> dict:
    return page.evaluate(KEPT_JS)


def controlled(page) -> None:
    """Wait until the service worker controls the page (it claims it once active) and
    offline.js has kept this member's offline page: it fetches it after a login, and a
    test that cut the signal before that found the visitor's page (and no outbox)."""
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.wait_for_function(
        """() => {
            const meta = document.querySelector('meta[name="serambi-member"]');
            const kept = document.documentElement.lang + "|" + (meta ? meta.content : "");
            return localStorage.getItem("serambi-page") === kept;
        }"""
    )


def a_thread(app, *, not_id: int | None = None) -> Thread:
    with app.app_context():
        query = sa.select(Thread).where(Thread.hidden.is_(False), Thread.locked.is_(False))
        if not_id is not None:
            query = query.where(Thread.id != not_id)
        thread = db.session.scalars(query.order_by(Thread.id)).first()
        db.session.expunge(thread)
        return thread


def posts_saying(app, text: str) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(Post).where(Post.body == text)
        )


def save_thread(page, server: str, thread) -> None:
    page.goto(f"{server}/threads/{thread.id}")
    controlled(page)
    page.get_by_role("button", name="Simpan untuk dibaca offline").click()
    expect(page.locator("#offline-save [role=status]")).to_have_text("Disimpan di ponsel ini.")


def write_offline(page, server: str, thread, text: str) -> None:
    """Open the thread with signal, lose it, then press "Send reply"."""
    page.goto(f"{server}/threads/{thread.id}")
    controlled(page)
    page.context.set_offline(True)
    page.locator("#body").fill(text)
    page.get_by_role("button", name="Kirim balasan").click()
    expect(page.locator("form .kept")).to_contain_text("disimpan di ponsel ini")
    expect(page.locator("#body")).to_have_value("")


def test_save_a_thread_and_read_it_with_no_signal(demo_app, demo_server, phone):
    log_in(phone, demo_server, "asep_sukatani")
    thread = a_thread(demo_app)
    save_thread(phone, demo_server, thread)
    screenshot(phone, "offline-save-button")
    phone.context.set_offline(True)

    phone.goto(f"{demo_server}/threads/{thread.id}")
    expect(phone.locator("h1")).to_have_text(thread.title)
    expect(phone.locator("#offline-bar")).to_contain_text("salinan yang disimpan di ponsel ini")
    # As a visitor sees it: no reply form, a "log in to reply" link instead.
    expect(phone.locator("form[data-outbox]")).to_have_count(0)
    screenshot(phone, "offline-reading")

    phone.goto(f"{demo_server}/offline")
    expect(phone.locator(".saved-list li")).to_have_count(1)
    expect(phone.locator(".saved-list li a")).to_have_text(thread.title)
    expect(phone.locator(".saved-list .hint")).to_contain_text("KB")
    screenshot(phone, "offline-saved")

    other = a_thread(demo_app, not_id=thread.id)
    phone.goto(f"{demo_server}/threads/{other.id}")  # never saved: the offline page
    expect(phone.locator("#offline-missing")).to_be_visible()
    expect(phone.locator(".saved-list li a")).to_have_text(thread.title)

    phone.context.set_offline(False)
    phone.goto(f"{demo_server}/offline")
    phone.get_by_role("button", name=f"Hapus: {thread.title}").click()
    expect(phone.locator("#saved-empty")).to_be_visible()
    assert kept(phone) == {"pages": 0, "saved": 0, "outbox": 0}


# A saved thread's size as the phone stores it, and what its own cached pages and thumbnails weigh.
SIZES_JS = """
async () => {
  const db = await new Promise((ok) => {
    indexedDB.open("serambi").onsuccess = (e) => ok(e.target.result);
  });
  const [item] = await new Promise((ok) => {
    db.transaction("saved").objectStore("saved").getAll().onsuccess = (e) => ok(e.target.result);
  });
  db.close();
  const cache = await caches.open("serambi-saved");
  let own = 0;
  for (const url of item.pages.concat(item.files)) {
    own += (await (await cache.match(url)).blob()).size;
  }
  return [item.size, own];
}
"""


def test_a_saved_threads_size_is_what_removing_it_frees(demo_app, demo_server, phone):
    """Not the styles and scripts every saved thread shares; removing all asks first."""
    log_in(phone, demo_server, "asep_sukatani")
    save_thread(phone, demo_server, a_thread(demo_app))
    size, own = phone.evaluate(SIZES_JS)
    assert size == own > 0
    phone.goto(f"{demo_server}/offline")
    expect(phone.locator(".saved-list .hint")).to_contain_text(f"{max(1, round(size / 1024))} KB")
    phone.once("dialog", lambda dialog: dialog.dismiss())
    phone.get_by_role("button", name="Hapus semua").click()
    expect(phone.locator(".saved-list li")).to_have_count(1)
    phone.once("dialog", lambda dialog: dialog.accept())
    phone.get_by_role("button", name="Hapus semua").click()
    expect(phone.locator("#saved-empty")).to_be_visible()
    assert kept(phone) == {"pages": 0, "saved": 0, "outbox": 0}


def test_a_reply_written_offline_survives_a_reload_and_is_posted_once(demo_app, demo_server, phone):
    log_in(phone, demo_server, "neneng_sukatani")
    thread = a_thread(demo_app)
    text = f"Ditulis di jalan pulang tanpa sinyal {uuid.uuid4().hex[:8]}"
    write_offline(phone, demo_server, thread, text)

    phone.reload()  # still no signal: the offline page, with what waits
    expect(phone.locator(".outbox-item textarea")).to_have_value(text)
    expect(phone.locator(".outbox-item")).to_contain_text(thread.title)
    phone.get_by_role("button", name="Kirim sekarang").click()  # says why nothing happens
    expect(phone.locator(".outbox-item [role=status]")).to_contain_text("Tidak ada sinyal")
    screenshot(phone, "offline-outbox")
    assert posts_saying(demo_app, text) == 0

    phone.context.set_offline(False)  # the "online" event sends it
    expect(phone.locator("#outbox")).to_be_hidden()
    expect(phone.locator("#offline-bar")).to_contain_text("Terkirim")
    phone.goto(f"{demo_server}/threads/{thread.id}")
    expect(phone.locator("article.post", has_text=text)).to_have_count(1)
    assert posts_saying(demo_app, text) == 1
    assert kept(phone)["outbox"] == 0


def test_a_send_whose_answer_is_lost_is_still_posted_once(demo_app, demo_server, phone):
    log_in(phone, demo_server, "yanti_wanayasa")
    thread = a_thread(demo_app)
    text = f"Balasan yang jawabannya hilang {uuid.uuid4().hex[:8]}"
    write_offline(phone, demo_server, thread, text)
    reached = []

    def lose_the_answer(route):
        if not reached:
            route.fetch()  # the server gets it and posts the reply ...
            reached.append(route.request.url)
            route.abort()  # ... and the phone never hears back
        else:
            route.continue_()

    phone.context.route(f"**/threads/{thread.id}/replies", lose_the_answer)
    phone.context.set_offline(False)
    _wait_until(phone, lambda: len(reached) == 1)
    assert posts_saying(demo_app, text) == 1
    assert kept(phone)["outbox"] == 1  # no answer: it still waits

    phone.goto(f"{demo_server}/threads/{thread.id}")  # with signal: sent again, same key
    expect(phone.locator("#offline-bar")).to_contain_text("Terkirim")
    assert kept(phone)["outbox"] == 0
    assert posts_saying(demo_app, text) == 1


def _wait_until(page, condition, tries: int = 150) -> None:
    """Wait with Playwright's clock: its route handlers run only while it waits."""
    for _ in range(tries):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError("never happened")


def keep_things(page, server: str, app, username: str) -> Thread:
    """``username`` saves a thread and leaves a reply waiting (its sends fail) on this phone."""
    log_in(page, server, username)
    thread = a_thread(app)
    save_thread(page, server, thread)
    page.context.route(f"**/threads/{thread.id}/replies", lambda route: route.abort())
    write_offline(page, server, thread, f"Tulisan {username} yang menunggu")
    page.context.set_offline(False)
    assert kept(page) == {"pages": 1, "saved": 1, "outbox": 1}
    return thread


def test_logging_out_leaves_nothing_saved_and_nothing_waiting(demo_app, demo_server, phone):
    thread = keep_things(phone, demo_server, demo_app, "sri_kalisalak")
    phone.goto(f"{demo_server}/threads/{thread.id}")
    header_menu(phone).get_by_role("button", name="Keluar").click()
    phone.wait_for_load_state()
    assert kept(phone) == {"pages": 0, "saved": 0, "outbox": 0}
    phone.goto(f"{demo_server}/offline")
    expect(phone.locator("#saved-empty")).to_be_visible()
    expect(phone.locator("#outbox")).to_be_hidden()


def test_another_member_on_the_same_phone_finds_nothing_of_the_first(demo_app, demo_server, phone):
    keep_things(phone, demo_server, demo_app, "sugeng_nglanggeran")
    phone.context.clear_cookies()  # the session ended without a logout
    log_in(phone, demo_server, "baiq_pringgasela")
    phone.goto(f"{demo_server}/offline")
    expect(phone.locator("#saved-empty")).to_be_visible()
    expect(phone.locator("#outbox")).to_be_hidden()
    assert kept(phone) == {"pages": 0, "saved": 0, "outbox": 0}


def test_a_refused_send_keeps_the_text_and_says_why(demo_app, demo_server, phone):
    log_in(phone, demo_server, "ilham_borongloe")
    thread = a_thread(demo_app)
    text = f"Balasan untuk diskusi yang lalu dikunci {uuid.uuid4().hex[:8]}"
    write_offline(phone, demo_server, thread, text)
    with demo_app.app_context():
        db.session.get(Thread, thread.id).locked = True
        db.session.commit()
    try:
        phone.context.set_offline(False)
        phone.goto(f"{demo_server}/offline")
        item = phone.locator(".outbox-item")
        expect(item.locator(".error")).to_contain_text("dikunci")
        expect(item.locator("textarea")).to_have_value(text)
        screenshot(phone, "offline-outbox-refused")
        assert posts_saying(demo_app, text) == 0

        phone.once("dialog", lambda dialog: dialog.accept())
        item.get_by_role("button", name="Buang").click()
        expect(phone.locator("#outbox")).to_be_hidden()
        assert kept(phone)["outbox"] == 0
    finally:
        with demo_app.app_context():
            db.session.get(Thread, thread.id).locked = False
            db.session.commit()


def test_a_facilitator_saves_what_visitors_see_never_hidden_replies(demo_app, demo_server, phone):
    thread = a_thread(demo_app)
    secret = f"Nomor HP pribadi yang disembunyikan {uuid.uuid4().hex[:8]}"
    with demo_app.app_context():
        author = db.session.scalar(sa.select(User).where(User.username == "neneng_sukatani"))
        hidden = threads.create_reply(author, db.session.get(Thread, thread.id), secret)
        hidden.hidden, hidden.hidden_reason = True, "data pribadi"
        db.session.commit()
    try:
        log_in(phone, demo_server, "rina_fasilitator")
        phone.goto(f"{demo_server}/threads/{thread.id}")
        expect(phone.locator("main")).to_contain_text(secret)  # she sees it, with its reason
        save_thread(phone, demo_server, thread)
        phone.context.set_offline(True)
        phone.goto(f"{demo_server}/threads/{thread.id}")
        expect(phone.locator("#offline-bar")).to_contain_text("salinan yang disimpan")
        expect(phone.locator("main")).not_to_contain_text(secret)
        expect(phone.locator("header.site")).not_to_contain_text("Moderasi")

        # A day later the thread is hidden: the next refresh with signal drops the saved copy.
        phone.context.set_offline(False)
        with demo_app.app_context():
            db.session.get(Thread, thread.id).hidden = True
            db.session.commit()
        phone.evaluate(AGE_SAVED_JS)
        phone.goto(f"{demo_server}/")
        _wait_until(phone, lambda: kept(phone) == {"pages": 0, "saved": 0, "outbox": 0})
    finally:
        with demo_app.app_context():
            db.session.get(Thread, thread.id).hidden = False  # the hidden reply stays hidden
            db.session.commit()


AGE_SAVED_JS = """() => new Promise((ok) => { indexedDB.open("serambi").onsuccess = (e) => {
  const store = e.target.result.transaction("saved", "readwrite").objectStore("saved");
  store.getAll().onsuccess = (q) => {
    for (const item of q.target.result) store.put({...item, at: "2020-01-01T00:00:00.000Z"});
    store.transaction.oncomplete = ok;
  };
}; })"""


def test_a_reply_sent_on_a_weak_signal_is_kept_and_posted_once(demo_app, demo_server, phone):
    """The phone thinks it is online, but the reply never reaches the server."""
    log_in(phone, demo_server, "neneng_sukatani")
    thread = a_thread(demo_app)
    text = f"Dikirim saat sinyal naik turun {uuid.uuid4().hex[:8]}"
    phone.goto(f"{demo_server}/threads/{thread.id}")
    controlled(phone)
    lost = []

    def lose_it_once(route):
        if lost:
            route.continue_()
        else:
            lost.append(route.request.method)
            route.abort()

    phone.context.route(f"**/threads/{thread.id}/replies", lose_it_once)
    phone.locator("#body").fill(text)
    phone.get_by_role("button", name="Kirim balasan").click()
    # The offline page, then the send from the outbox as soon as the page sees a signal.
    expect(phone.locator("#offline-bar")).to_contain_text("Terkirim")
    assert lost == ["POST"]
    assert posts_saying(demo_app, text) == 1
    assert kept(phone)["outbox"] == 0


def test_a_new_thread_written_offline_can_be_changed_then_is_opened_once(
    demo_app, demo_server, phone
):
    log_in(phone, demo_server, "yanti_wanayasa")
    phone.goto(f"{demo_server}/threads/new")
    controlled(phone)
    phone.context.set_offline(True)
    title = f"Taman baca di pos ojek {uuid.uuid4().hex[:6]}"
    phone.locator("#title").fill("Judul sementara")
    phone.locator("#body").fill("Kami menaruh rak kecil di pos ojek dekat pasar.")
    phone.get_by_role("button", name="Kirim", exact=True).click()
    expect(phone.locator("form .kept")).to_be_visible()
    phone.locator("form .kept").scroll_into_view_if_needed()
    phone.screenshot(path=str(SCREENSHOTS / "offline-kept-360.png"))

    phone.goto(f"{demo_server}/offline")
    item = phone.locator(".outbox-item")
    expect(item).to_contain_text("Diskusi baru")
    item.get_by_label("Judul").fill(title)  # changed while it waits
    phone.context.set_offline(False)
    expect(phone.locator("#offline-bar")).to_contain_text(f"Terkirim: {title}")
    with demo_app.app_context():
        titles = db.session.scalars(sa.select(Thread.title).where(Thread.title == title)).all()
        assert titles == [title]
        assert not db.session.scalar(
            sa.select(sa.func.count()).select_from(Thread).where(Thread.title == "Judul sementara")
        )
