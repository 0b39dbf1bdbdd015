"""New members vouched for: with REGISTRATION_APPROVAL on, what they write waits for a
facilitator of their region, who approves (published) or refuses (withdrawn, with a reason)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.engagement.models import Notification
from forum.models import Post
from forum.models import Thread
from forum.models import User
from forum.models import utcnow
from forum.moderation.models import ModerationAction
from tests.helpers import REGISTRATION
from tests.helpers import app_db
from tests.helpers import client_for
from tests.helpers import hit_titles
from tests.helpers import main_text
from tests.helpers import post_form
from tests.helpers import send_form
from tests.smtp import smtp_sink

TITLE = "Buku donasi menumpuk di gudang"
NEW_THREAD = {
    "kind": "challenge",
    "title": TITLE,
    "body": "Sekitar 300 buku donasi belum dicatat. Bagaimana mencatatnya cepat?",
    "tags": "",
}


@pytest.fixture
def mail(app):
    with smtp_sink() as sink:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.server_address[1])
        yield sink


@pytest.fixture
def newcomer(app):
    """Siti registers from Purwakarta with approval on, and writes a thread at once."""
    app.config["REGISTRATION_APPROVAL"] = True
    browser = client_for(app)
    response = post_form(browser, "/auth/register", REGISTRATION, page="/auth/register")
    assert response.status_code == 302
    assert "A facilitator from your region will confirm" in main_text(browser.get("/"))
    response = send_form(browser, "/threads/new", NEW_THREAD)
    assert response.status_code == 302, main_text(response)[:1000]
    with app_db(app) as session:
        thread_id = session.scalar(sa.select(Thread.id).where(Thread.title == TITLE))
    return browser, thread_id


def row(app, model, **where):
    with app_db(app) as session:
        found = session.scalar(sa.select(model).filter_by(**where))
        session.expunge_all()
        return found


def test_registration_starts_approved_when_the_setting_is_off(app):
    browser = client_for(app)
    post_form(browser, "/auth/register", REGISTRATION, page="/auth/register")
    assert row(app, User, username="siti_cibatu").approval is None
    assert send_form(browser, "/threads/new", NEW_THREAD).status_code == 302
    assert row(app, Thread, title=TITLE).is_public


def test_a_waiting_post_is_seen_only_by_its_author_and_facilitators(app, newcomer, make_user):
    browser, thread_id = newcomer
    own = main_text(browser.get(f"/threads/{thread_id}"))
    assert TITLE in own and "Waiting for approval" in own
    others = [client_for(app), client_for(app, make_user("asep"))]
    for other in others:
        assert other.get(f"/threads/{thread_id}").status_code == 404
        assert TITLE not in main_text(other.get("/threads"))
        assert TITLE not in hit_titles(other.get("/search?q=buku+donasi"))
    facilitator = client_for(app, make_user("rudi", role="facilitator", scope=["purwakarta"]))
    assert "Waiting for approval" in main_text(facilitator.get(f"/threads/{thread_id}"))
    assert TITLE in main_text(facilitator.get("/mod/pending"))


def test_approval_by_a_facilitator_of_another_kabupaten_is_refused(app, newcomer, make_user):
    _browser, thread_id = newcomer
    sari = make_user("sari", role="facilitator", library=None, scope=["sumedang"])
    browser = client_for(app, sari)
    assert TITLE not in main_text(browser.get("/mod/pending"))
    assert send_form(browser, "/mod/users/siti_cibatu/approve").status_code == 403
    refused = send_form(browser, "/mod/users/siti_cibatu/refuse", {"reason": "Tidak dikenal"})
    assert refused.status_code == 403
    assert row(app, User, username="siti_cibatu").is_waiting
    assert row(app, Thread, id=thread_id).waiting
    assert row(app, ModerationAction, action="approve_member") is None


def test_approval_publishes_what_they_wrote_and_tells_them(app, newcomer, make_user, mail):
    member_browser, thread_id = newcomer
    rudi = make_user("rudi", role="facilitator", library=None, scope=["provinsi-jawa-barat"])
    response = send_form(client_for(app, rudi), "/mod/users/siti_cibatu/approve")
    assert response.status_code == 302
    visitor = client_for(app)
    assert visitor.get(f"/threads/{thread_id}").status_code == 200
    assert TITLE in main_text(visitor.get("/threads"))
    assert TITLE in hit_titles(visitor.get("/search?q=buku+donasi"))
    page = main_text(member_browser.get("/"))
    assert "A facilitator from your region will confirm" not in page
    notice = row(app, Notification, action="approve_member")
    assert notice is not None and notice.thread_id == thread_id
    entry = row(app, ModerationAction, action="approve_member")
    assert entry.actor_id == rudi.id and entry.details == "1 posts"
    [(_sender, recipients, message)] = mail.messages
    assert recipients == [REGISTRATION["email"]]
    assert "menyetujui akun Anda" in message.get_body(("plain",)).get_content()


def test_refusal_withdraws_their_posts_and_they_read_the_reason(app, newcomer, make_user, mail):
    member_browser, thread_id = newcomer
    rudi = client_for(app, make_user("rudi", role="facilitator", scope=["purwakarta"]))
    empty = send_form(rudi, "/mod/users/siti_cibatu/refuse", {"reason": "  "})
    assert empty.status_code == 400
    assert row(app, User, username="siti_cibatu").is_waiting
    reason = "Kami tidak menemukan perpustakaan ini di Cibatu"
    assert send_form(rudi, "/mod/users/siti_cibatu/refuse", {"reason": reason}).status_code == 302
    assert row(app, Thread, id=thread_id).withdrawn_at is not None
    assert reason in main_text(member_browser.get("/"))
    response = send_form(member_browser, "/threads/new", {**NEW_THREAD, "title": "Coba lagi"})
    assert response.status_code == 403
    assert reason in main_text(response)
    assert (
        row(app, Post, author_id=row(app, User, username="siti_cibatu").id, waiting=False) is None
    )
    assert row(app, ModerationAction, action="refuse_member").reason == reason
    [(_sender, _recipients, message)] = mail.messages
    assert reason in message.get_body(("plain",)).get_content()


def test_members_waiting_longest_come_first(app, make_user):
    make_user("baru", approval="waiting", created_at=utcnow() - timedelta(hours=2))
    make_user("lama", approval="waiting", created_at=utcnow() - timedelta(hours=60))
    page = main_text(client_for(app, make_user("rudi", role="facilitator")).get("/mod/pending"))
    assert page.index("@lama") < page.index("@baru")
    assert page.count("Waiting more than 2 days") == 1


@pytest.mark.parametrize("decision", ["approve", "refuse"])
def test_a_member_who_wrote_nothing_yet_hears_the_decision_in_the_app(app, make_user, decision):
    member = make_user("baru", approval="waiting")
    rudi = client_for(app, make_user("rudi", role="facilitator", scope=["purwakarta"]))
    url = f"/mod/users/baru/{decision}"
    assert send_form(rudi, url, {"reason": "Tidak dikenal"}).status_code == 302
    notice = row(app, Notification, user_id=member.id)
    assert notice is not None and notice.thread_id is None
    assert notice.action == f"{decision}_member"
    page = main_text(client_for(app, member).get("/notifications"))
    expected = {
        "approve": "A facilitator approved your account: what you write is published.",
        "refuse": "A facilitator did not approve your account. The reason is on the home page.",
    }
    assert expected[decision] in page
    opened = send_form(
        client_for(app, member), f"/notifications/{notice.id}/read", {"then": "open"}
    )
    assert opened.location == "/"  # where the decision (and a refusal's reason) shows
