"""Every moderation route × every role: the status code, and that a refusal changes nothing.

One small world per backend is built once for this module and every role logs
in once. Each cell reads every table before its request: a refused request must
leave all of them exactly as they were; an allowed one must make its change,
after which the tables are put back, so cells never depend on each other.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum import create_app
from forum.config import TestConfig
from forum.extensions import db
from forum.extensions import search
from forum.insight.models import Meeting
from forum.insight.models import MeetingThread
from forum.models import Post
from forum.models import PostRevision
from forum.models import Thread
from forum.models import User
from forum.models import utcnow
from forum.moderation.models import Flag
from forum.moderation.models import PasswordResetToken
from forum.partners.models import Offer
from forum.partners.models import Partner
from tests.helpers import PASSWORD
from tests.helpers import csrf_token
from tests.helpers import fresh_postgres_database
from tests.helpers import login_as

# "facilitator" looks after all of Indonesia; "regional" after Purwakarta, where the
# world's members and threads are; "other_region" after Sumedang.
ROLES = (
    "visitor",
    "librarian",
    "other_librarian",
    "suspended",
    "facilitator",
    "regional",
    "other_region",
    "admin",
    "waiting",  # a new member waiting for approval (REGISTRATION_APPROVAL)
    "refused",  # a new member a facilitator did not approve
    "partner",  # speaks for a partner organisation: reads, replies, offers support
)
GENERIC_403 = "You do not have permission for this."


# --- the world -------------------------------------------------------------------------


@dataclass
class World:
    app: object
    clients: dict
    tokens: dict
    ids: dict
    api_tokens: dict  # role -> a write token's secret (no entry for the visitor)

    def snapshot(self) -> dict:
        with self.app.app_context():
            return {
                table.name: db.session.execute(
                    sa.select(table).order_by(*table.primary_key.columns)
                ).all()
                for table in db.metadata.sorted_tables
            }

    def restore(self, rows: dict) -> None:
        """Put every table back as ``rows`` had it.

        The world starts without accepted answers, so only the delete has to break
        the threads ⇄ posts foreign-key cycle.
        """
        with self.app.app_context():
            db.session.execute(Thread.__table__.update().values(accepted_post_id=None))
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
            for table in db.metadata.sorted_tables:
                if rows[table.name]:
                    db.session.execute(table.insert(), [row._asdict() for row in rows[table.name]])
            db.session.commit()


def _build(app) -> dict:
    """Members of every role, a challenge with replies, a pinned locked practice,
    a hidden thread, a reply hidden on its own, an open flag, a meeting, a partner's
    offers on the challenge (one waiting for an answer, one accepted), two earlier versions
    of a reply (one redacted) and a verified practice, all in Purwakarta."""
    from forum.auth.service import create_user
    from forum.libraries import LibraryDetails
    from forum.models import FacilitatorScope
    from forum.partners import service as partners
    from forum.practices import service as practices
    from forum.threads import service

    library = LibraryDetails(
        "Perpustakaan Desa Cibatu", "Cibatu", "Cibatu", "purwakarta", "jawa-barat"
    )

    def member(username, role="librarian", scope=None, **columns):
        user = create_user(
            username,
            f"{username}@contoh.id",
            PASSWORD,
            role=role,
            library=library if role == "librarian" else None,
        )
        if scope:
            user.scopes = [FacilitatorScope(region=scope)]
        for key, value in columns.items():
            setattr(user, key, value)
        return user

    with app.app_context():
        lina = member("lina")  # "librarian": author of the challenge and the hidden thread
        oki = member("oki")  # "other_librarian": wrote the replies
        member("susi", suspended_indefinitely=True, suspension_reason="spam berulang")
        fani = member("fani", role="facilitator")
        member("adi", role="admin")
        mira = member("mira")  # a librarian nobody logs in as: the target of member actions
        member("feri", role="facilitator")  # a facilitator as a target
        member("rudi", role="facilitator", scope="purwakarta")
        member("sari", role="facilitator", scope="sumedang")
        member("wati", approval="waiting")
        member("rafi", approval="refused", approval_reason="tidak dikenal")
        member("nunu", approval="waiting")  # the target of approve and refuse
        pita = member("pita", role="partner")
        partners.link_member(
            pita, partners.create_partner(None, "Pemdes Cibatu", "pemerintah-desa", ["purwakarta"])
        )
        challenge = service.create_thread(
            lina, "challenge", "Anak-anak jarang datang", "Bagaimana menarik mereka?", []
        )
        reply = service.create_reply(oki, challenge, "Coba dongeng setiap Sabtu.")
        hidden_reply = service.create_reply(oki, challenge, "Iklan pulsa murah!")
        hidden_reply.hidden, hidden_reply.hidden_reason = True, "iklan"
        practice = service.create_thread(
            oki, "practice", "Pojok baca di posyandu", "Kami menaruh rak kecil.", []
        )
        practice.pinned = practice.locked = True
        hidden = service.create_thread(lina, "practice", "Nomor HP warga", "0812...", [])
        hidden.hidden, hidden.hidden_reason = True, "data pribadi"
        db.session.flush()
        flag = Flag(post=reply, reporter=mira, reason="rude")
        db.session.add(flag)
        meeting = Meeting(
            title="Temu pustakawan se-Purwakarta",
            kind="peer_learning",
            starts_on=date(2026, 3, 3),
            ends_on=date(2026, 3, 3),
            place="Aula Dinas",
            regency="purwakarta",
            province="jawa-barat",
            participants=30,
            created_by=lina,
        )
        db.session.add(meeting)
        # Two earlier versions of the reply, the later one already redacted.
        service.edit_post(oki, reply, "Coba dongeng setiap Sabtu sore.")
        service.edit_post(oki, reply, "Coba dongeng setiap Sabtu siang.")
        db.session.flush()
        earlier, redacted = db.session.scalars(
            sa.select(PostRevision)
            .where(PostRevision.post_id == reply.id)
            .order_by(PostRevision.id)
        ).all()
        service.redact(fani, redacted)
        verified = service.create_thread(
            oki, "practice", "Tas buku keliling", "Tas berisi buku dipinjam bergilir.", []
        )
        db.session.flush()
        practices.verify(fani, verified, "Dipinjam 12 keluarga setiap bulan.")
        partners.set_needs(lina, challenge, ["buku", "dana"], "Buku cerita anak")
        offer = partners.make_offer(pita, challenge, "buku", "40 buku cerita", "Januari")
        accepted = partners.make_offer(pita, challenge, "dana", "Rp 1 juta", "Maret")
        partners.answer_offer(lina, accepted, accept=True)
        db.session.commit()
        return {
            "challenge": challenge.id,
            "opening": challenge.opening_post.id,
            "reply": reply.id,
            "hidden_reply": hidden_reply.id,
            "practice": practice.id,
            "hidden": hidden.id,
            "flag": flag.id,
            "meeting": meeting.id,
            "offer": offer.id,
            "earlier": earlier.id,
            "redacted": redacted.id,
            "verified": verified.id,
            "accepted": accepted.id,
        }


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory, worker_id):
    tmp = tmp_path_factory.mktemp("matrix")
    if request.param == "sqlite":
        yield from _world(f"sqlite:///{tmp / 'matrix.sqlite'}", tmp)
        return
    # The pid too: another checkout's run must not drop this world's database (conftest.py).
    with fresh_postgres_database(f"serambi_matrix_{worker_id}_{os.getpid()}") as url:
        yield from _world(url, tmp)


def _world(uri: str, tmp):
    config = {"SQLALCHEMY_DATABASE_URI": uri, "SEARCH_INDEX_DIR": str(tmp / "search_index")}
    app = create_app(type("C", (TestConfig,), config))
    with app.app_context():
        db.create_all()
        search.rebuild([], 0)
    ids = _build(app)
    clients, tokens = {}, {}
    for role, username in [("visitor", None), *ROLE_USERS.items()]:
        client = app.test_client()
        client.set_cookie("lang", "en")
        if username:
            login_as(client, User(username=username))
        clients[role] = client
        tokens[role] = csrf_token(client, "/auth/register" if username is None else "/")
    yield World(app, clients, tokens, ids, _api_tokens(app))
    with app.app_context():
        db.engine.dispose()


def _api_tokens(app) -> dict:
    """A write token per member role. Its "last used" is set ahead, so using it never
    writes (a refused API request must leave every table as it was)."""
    from forum.tokens import service

    secrets = {}
    with app.app_context():
        for role, username in ROLE_USERS.items():
            member = db.session.scalar(sa.select(User).where(User.username == username))
            # The refused member made theirs while waiting, before a facilitator refused them.
            approval, member.approval = member.approval, None
            token, secrets[role] = service.create_token(member, "bot", "write")
            member.approval = approval
            token.last_used_at = utcnow() + timedelta(days=365)
        db.session.commit()
    return secrets


ROLE_USERS = {
    "librarian": "lina",
    "other_librarian": "oki",
    "suspended": "susi",
    "facilitator": "fani",
    "regional": "rudi",
    "other_region": "sari",
    "admin": "adi",
    "waiting": "wati",
    "refused": "rafi",
    "partner": "pita",
}


# --- the cases -------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    url: str  # formatted with the world's ids
    expected: dict  # role -> status; "login" means a redirect to the login page
    data: dict | None = None
    changed: Callable | None = None  # (session, ids) -> bool, checked after an allowed POST


def expect(members=403, **overrides) -> dict:
    """Visitors are sent to log in; members get ``members`` unless overridden."""
    statuses = {role: members for role in ROLES}
    statuses["visitor"] = "login"
    statuses.update(overrides)
    return statuses


# Facilitators whose scope covers the world's Purwakarta; "other_region" gets 403 (the default).
MODERATORS = {"facilitator": 302, "regional": 302, "admin": 302}
MODERATOR_PAGES = {"facilitator": 200, "regional": 200, "admin": 200}
# Pages every facilitator reads, whatever their region (they list only what is theirs).
EVERY_FACILITATOR = {**MODERATOR_PAGES, "other_region": 200}
OUT_OF_SCOPE = {"other_region": 403}  # sees the hidden thing, may not act on it
POSTERS = {
    "waiting": 302,  # what they write waits for approval
    "partner": 302,
    "librarian": 302,
    "other_librarian": 302,
    "facilitator": 302,
    "regional": 302,
    "other_region": 302,
    "admin": 302,
}
IN_A_MONTH = (date.today() + timedelta(days=30)).isoformat()


def thread(session, ids, key="challenge") -> Thread:
    return session.get(Thread, ids[key])


def user(session, username) -> User:
    return session.scalar(sa.select(User).where(User.username == username))


def new_flag_on(key):
    def changed(session, ids):
        count = sa.select(sa.func.count(Flag.id)).where(Flag.post_id == ids[key])
        return session.scalar(count) == (2 if key == "reply" else 1)

    return changed


def offer(session, ids, key="offer") -> Offer:
    return session.get(Offer, ids[key])


def reset_token_for(username):
    def changed(session, ids):
        query = sa.select(PasswordResetToken).where(
            PasswordResetToken.user_id == user(session, username).id
        )
        return session.scalar(query) is not None

    return changed


CASES = [
    Case(
        "pin",
        "POST",
        "/mod/threads/{challenge}/pin",
        expect(**MODERATORS),
        changed=lambda s, ids: thread(s, ids).pinned,
    ),
    Case(
        "unpin",
        "POST",
        "/mod/threads/{practice}/unpin",
        expect(**MODERATORS),
        changed=lambda s, ids: not thread(s, ids, "practice").pinned,
    ),
    Case(
        "lock",
        "POST",
        "/mod/threads/{challenge}/lock",
        expect(**MODERATORS),
        changed=lambda s, ids: thread(s, ids).locked,
    ),
    Case(
        "unlock",
        "POST",
        "/mod/threads/{practice}/unlock",
        expect(**MODERATORS),
        changed=lambda s, ids: not thread(s, ids, "practice").locked,
    ),
    Case(
        "hide_thread",
        "POST",
        "/mod/threads/{challenge}/hide",
        expect(**MODERATORS),
        data={"reason": "Berisi data pribadi"},
        changed=lambda s, ids: thread(s, ids).hidden_reason == "Berisi data pribadi",
    ),
    Case(
        "hide_post",
        "POST",
        "/mod/posts/{reply}/hide",
        expect(**MODERATORS),
        data={"reason": "Kasar"},
        changed=lambda s, ids: s.get(Post, ids["reply"]).hidden,
    ),
    Case(
        "restore_thread",
        "POST",
        "/mod/threads/{hidden}/restore",
        # Its author sees it (403); other members may not see it at all (404).
        expect(404, librarian=403, **MODERATORS, **OUT_OF_SCOPE),
        changed=lambda s, ids: not thread(s, ids, "hidden").hidden,
    ),
    Case(
        "restore_post",
        "POST",
        "/mod/posts/{hidden_reply}/restore",
        expect(404, other_librarian=403, **MODERATORS, **OUT_OF_SCOPE),
        changed=lambda s, ids: not s.get(Post, ids["hidden_reply"]).hidden,
    ),
    Case(
        "move",
        "POST",
        "/mod/threads/{challenge}/move",
        expect(**MODERATORS),
        data={"kind": "practice"},
        changed=lambda s, ids: thread(s, ids).kind == "practice",
    ),
    Case(
        "solve",
        "POST",
        "/threads/{challenge}/solve",
        expect(librarian=302, **MODERATORS),
        data={"post_id": "{reply}"},
        changed=lambda s, ids: thread(s, ids).accepted_post_id == ids["reply"],
    ),
    Case(
        "flag_thread",
        "POST",
        "/threads/{challenge}/flag",
        expect(**{**POSTERS, "librarian": 403}),  # lina wrote it: no flagging your own
        data={"reason": "spam", "details": ""},
        changed=new_flag_on("opening"),
    ),
    Case(
        "flag_post",
        "POST",
        "/posts/{reply}/flag",
        expect(**{**POSTERS, "other_librarian": 403}),  # oki wrote it
        data={"reason": "other", "details": "Menyebut nama anak"},
        changed=new_flag_on("reply"),
    ),
    Case(
        "edit_any_post",
        "POST",
        "/posts/{reply}/edit",
        expect(other_librarian=302, **MODERATORS),
        data={"body": "Coba dongeng setiap Sabtu pagi."},
        changed=lambda s, ids: s.get(Post, ids["reply"]).body.endswith("Sabtu pagi."),
    ),
    Case("flag_queue", "GET", "/mod/flags", expect(**EVERY_FACILITATOR)),
    Case(
        "resolve",
        "POST",
        "/mod/flags/{flag}/resolve",
        expect(**MODERATORS),
        data={"action": "keep", "note": "Tidak kasar"},
        changed=lambda s, ids: s.get(Flag, ids["flag"]).resolution == "keep",
    ),
    Case("member_page", "GET", "/mod/users/mira", expect(**EVERY_FACILITATOR)),
    Case(
        "suspend_librarian",
        "POST",
        "/mod/users/mira/suspend",
        expect(**MODERATORS),
        data={"until": IN_A_MONTH, "reason": "Promosi berulang"},
        changed=lambda s, ids: user(s, "mira").is_suspended,
    ),
    Case(
        "suspend_facilitator",
        "POST",
        "/mod/users/feri/suspend",
        expect(admin=302),
        data={"until": "", "reason": "Akun dibajak"},
        changed=lambda s, ids: user(s, "feri").suspended_indefinitely,
    ),
    Case(
        "unsuspend",
        "POST",
        "/mod/users/susi/unsuspend",
        expect(**MODERATORS),
        changed=lambda s, ids: not user(s, "susi").is_suspended,
    ),
    Case(
        "promote",
        "POST",
        "/admin/users/mira/role",
        expect(admin=302),
        data={"role": "facilitator"},
        changed=lambda s, ids: user(s, "mira").role == "facilitator",
    ),
    Case(
        "demote",
        "POST",
        "/admin/users/feri/role",
        expect(admin=302),
        data={"role": "librarian"},
        changed=lambda s, ids: user(s, "feri").role == "librarian",
    ),
    Case("scope_page", "GET", "/admin/users/feri/scope", expect(admin=200)),
    Case(
        "scope",
        "POST",
        "/admin/users/feri/scope",
        expect(admin=302),
        data={"scope": "purwakarta"},
        changed=lambda s, ids: [scope.region for scope in user(s, "feri").scopes] == ["purwakarta"],
    ),
    Case(
        "edit_thread",
        "POST",
        "/threads/{challenge}/edit",
        expect(librarian=302, **MODERATORS),  # lina wrote it
        data={"title": "Anak-anak jarang datang ke perpustakaan", "body": "Bagaimana?"},
        changed=lambda s, ids: thread(s, ids).title.endswith("ke perpustakaan"),
    ),
    Case(
        "reply",
        "POST",
        "/threads/{challenge}/replies",
        expect(**POSTERS),  # the suspended and the refused may not
        data={"body": "Kami mengundang pendongeng dari desa sebelah."},
        changed=lambda s, ids: (
            s.scalar(
                sa.select(Post.waiting).where(Post.body.startswith("Kami mengundang pendongeng"))
            )
            is (ids["as"] == "waiting")
        ),
    ),
    Case(
        "verify_practice",
        "POST",
        "/threads/{practice}/verify",
        expect(**MODERATORS),
        data={"summary": "Pojok baca di posyandu ramai setiap bulan."},
        changed=lambda s, ids: thread(s, ids, "practice").verification is not None,
    ),
    Case("pending", "GET", "/mod/pending", expect(**EVERY_FACILITATOR)),
    Case(
        "approve",
        "POST",
        "/mod/users/nunu/approve",
        expect(**MODERATORS),
        changed=lambda s, ids: user(s, "nunu").approval is None,
    ),
    Case(
        "refuse",
        "POST",
        "/mod/users/nunu/refuse",
        expect(**MODERATORS),
        data={"reason": "Perpustakaan tidak ditemukan"},
        changed=lambda s, ids: user(s, "nunu").approval_reason == "Perpustakaan tidak ditemukan",
    ),
    Case("log", "GET", "/mod/log?actor=fani&action=pin&page=1", expect(**EVERY_FACILITATOR)),
    Case("search_log", "GET", "/mod/search-log", expect(**EVERY_FACILITATOR)),
    Case(
        "reset_link_librarian",
        "POST",
        "/mod/users/mira/reset-link",
        expect(**MODERATOR_PAGES),
        changed=reset_token_for("mira"),
    ),
    Case(
        "reset_link_facilitator",
        "POST",
        "/mod/users/feri/reset-link",
        expect(admin=200),
        changed=reset_token_for("feri"),
    ),
    Case(
        "reply_to_locked",
        "POST",
        "/threads/{practice}/replies",
        expect(**MODERATORS),  # locked: only facilitators still reply
        data={"body": "Catatan fasilitator."},
        changed=lambda s, ids: thread(s, ids, "practice").reply_count == 1,
    ),
    Case(
        "read_hidden_thread",
        "GET",
        "/threads/{hidden}",
        expect(404, visitor=404, librarian=200, **EVERY_FACILITATOR),  # and its author
    ),
    # The dashboard opens on the viewer's own region; another region's figures are refused.
    Case("dashboard", "GET", "/dashboard", expect(**EVERY_FACILITATOR)),
    Case("dashboard_region", "GET", "/dashboard?region=purwakarta", expect(**MODERATOR_PAGES)),
    Case(
        "export_csv",
        "GET",
        "/dashboard/export.csv?region=purwakarta&table=figures",
        expect(**MODERATOR_PAGES),
    ),
    Case(
        "export_xlsx_province",
        "GET",
        "/dashboard/export.xlsx?region=provinsi-jawa-barat",
        expect(facilitator=200, admin=200),  # Purwakarta is not all of Jawa Barat
    ),
    Case(
        "chart",
        "GET",
        "/dashboard/charts/weekly.svg?region=purwakarta",
        expect(**MODERATOR_PAGES),
    ),
    Case(
        "record_meeting",
        "POST",
        "/meetings/new",
        expect(**MODERATORS),
        data={
            "title": "Belajar bersama di Cibatu",
            "kind": "peer_learning",
            "starts_on": "2026-04-01",
            "ends_on": "",
            "place": "Balai desa",
            "region": "purwakarta",
            "participants": "20",
        },
        changed=lambda s, ids: s.scalar(sa.select(sa.func.count(Meeting.id))) == 2,
    ),
    Case("edit_meeting_page", "GET", "/meetings/{meeting}/edit", expect(**MODERATOR_PAGES)),
    Case(
        "link_to_meeting",
        "POST",
        "/meetings/{meeting}/threads",
        expect(**MODERATORS),
        data={"thread_id": "{challenge}", "relation": "discussed"},
        changed=lambda s, ids: s.get(MeetingThread, (ids["meeting"], ids["challenge"])) is not None,
    ),
    Case(
        "edit_meeting",
        "POST",
        "/meetings/{meeting}/edit",
        expect(**MODERATORS),
        data={
            "title": "Temu pustakawan se-Purwakarta",
            "kind": "peer_learning",
            "starts_on": "2026-03-03",
            "ends_on": "",
            "place": "Balai desa Cibatu",
            "region": "purwakarta",
            "participants": "31",
        },
        changed=lambda s, ids: s.get(Meeting, ids["meeting"]).participants == 31,
    ),
    Case("report", "GET", "/dashboard/report?region=purwakarta", expect(**MODERATOR_PAGES)),
    # --- partners and offers of support (issue 21) ---
    Case("support_board", "GET", "/support", expect(200, visitor=200)),
    Case("offer_page", "GET", "/threads/{challenge}/offers/new", expect(partner=200)),
    Case(
        "offer",
        "POST",
        "/threads/{challenge}/offers",
        expect(partner=302),  # only partners offer; librarians and facilitators too are refused
        data={"kind": "buku", "what": "20 buku dongeng", "when": "Februari"},
        changed=lambda s, ids: s.scalar(sa.select(sa.func.count(Offer.id))) == 3,
    ),
    Case(
        "accept_offer",
        "POST",
        "/offers/{offer}/accept",
        expect(librarian=302, **MODERATORS),  # the challenge's author or its region's facilitator
        changed=lambda s, ids: offer(s, ids).status == "accepted",
    ),
    Case(
        "decline_offer",
        "POST",
        "/offers/{offer}/decline",
        expect(librarian=302, **MODERATORS),
        data={"note": "Sudah ada donatur."},
        changed=lambda s, ids: (
            (offer(s, ids).status, offer(s, ids).note) == ("declined", "Sudah ada donatur.")
        ),
    ),
    Case(
        "offer_delivered",
        "POST",
        "/offers/{accepted}/delivered",
        expect(librarian=302, partner=302, **MODERATORS),  # either side
        changed=lambda s, ids: offer(s, ids, "accepted").status == "delivered",
    ),
    Case("partners_page", "GET", "/admin/partners", expect(admin=200)),
    Case(
        "new_partner",
        "POST",
        "/admin/partners",
        expect(admin=302),
        data={
            "name": "Universitas Purwakarta",
            "kind": "perguruan-tinggi",
            "regions": "purwakarta",
        },
        changed=lambda s, ids: s.scalar(sa.select(sa.func.count(Partner.id))) == 2,
    ),
    Case(
        "unverify",
        "POST",
        "/threads/{verified}/unverify",
        expect(**MODERATORS),
        changed=lambda s, ids: not thread(s, ids, "verified").is_verified,
    ),
    Case(
        "redact",
        "POST",
        "/posts/{reply}/history/{earlier}/redact",
        expect(other_librarian=302, **MODERATORS),  # oki wrote the reply
        changed=lambda s, ids: s.get(PostRevision, ids["earlier"]).redacted_at is not None,
    ),
    Case(
        "unredact",
        "POST",
        "/posts/{reply}/history/{redacted}/unredact",
        expect(**MODERATORS),  # not its author: a redaction is undone by a facilitator
        changed=lambda s, ids: s.get(PostRevision, ids["redacted"]).redacted_at is None,
    ),
    Case("unsolved_list", "GET", "/threads?status=unsolved", expect(200, visitor=200)),
    Case("needs_help", "GET", "/threads/needs-help", expect(200, visitor=200)),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_route_by_role(world, case, role):
    expected = case.expected[role]
    client = world.clients[role]
    url = case.url.format(**world.ids)
    world.ids["as"] = role
    before = world.snapshot()
    if case.method == "GET":
        response = client.get(url)
    else:
        data = {key: value.format(**world.ids) for key, value in (case.data or {}).items()}
        response = client.post(url, data={**data, "csrf_token": world.tokens[role]})
    body = response.get_data().decode(errors="replace")  # a spreadsheet is bytes
    response.close()  # and is sent from a file

    if expected == "login":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login?next=")
    else:
        assert response.status_code == expected, body[:2000]
    if expected == 403:
        assert GENERIC_403 not in body  # the rule's own reason

    allowed_change = case.method == "POST" and expected in (200, 302)
    if not allowed_change:
        after = world.snapshot()
        if case.method == "GET":  # reading a thread moves the reader's own read position
            before, after = ({**rows, "thread_reads": []} for rows in (before, after))
        assert after == before, "a refused or read-only request changed the database"
        return
    try:
        with world.app.app_context():
            assert case.changed(db.session, world.ids)
            db.session.remove()
    finally:
        world.restore(before)


# --- the same rules through the JSON API -------------------------------------------------


@dataclass(frozen=True)
class ApiCase:
    page: str  # the page case above whose statuses the API must give
    method: str
    url: str
    body: dict | None = None
    done: int = 200  # the API's status where the page redirects after doing it


API_CASES = [
    ApiCase("flag_thread", "POST", "/api/v1/posts/{opening}/flags", {"reason": "spam"}, 201),
    ApiCase(
        "flag_post",
        "POST",
        "/api/v1/posts/{reply}/flags",
        {"reason": "other", "note": "Menyebut nama anak"},
        201,
    ),
    ApiCase(
        "edit_any_post",
        "PATCH",
        "/api/v1/posts/{reply}",
        {"body": "Coba dongeng setiap Sabtu pagi."},
    ),
    ApiCase(
        "reply_to_locked",
        "POST",
        "/api/v1/threads/{practice}/replies",
        {"body": "Catatan fasilitator."},
        201,
    ),
    ApiCase(
        "reply",
        "POST",
        "/api/v1/threads/{challenge}/replies",
        {"body": "Kami mengundang pendongeng dari desa sebelah."},
        201,
    ),
    ApiCase("read_hidden_thread", "GET", "/api/v1/threads/{hidden}"),
    ApiCase("unsolved_list", "GET", "/api/v1/threads?status=unsolved"),
]
PAGE_CASES = {case.name: case for case in CASES}


def api_status(page_status, done: int, role: str):
    """The page's answer as the API gives it: no login page (401), no redirect (done).
    A refused member still reads the pages, but their tokens no longer work (401)."""
    if role == "refused":
        return 401
    return {"login": 401, 302: done}.get(page_status, page_status)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("api_case", API_CASES, ids=[f"api-{case.page}" for case in API_CASES])
def test_api_route_by_role(world, api_case, role):
    case = PAGE_CASES[api_case.page]
    expected = api_status(case.expected[role], api_case.done, role)
    if api_case.method == "GET" and role == "visitor":
        expected = case.expected[role]  # reading needs no token: a visitor reads
    world.ids["as"] = role  # read by the cases' checks
    client = world.app.test_client()
    headers = {"Accept-Language": "en"}
    if role in world.api_tokens:
        headers["Authorization"] = f"Bearer {world.api_tokens[role]}"
    body = {key: value.format(**world.ids) for key, value in (api_case.body or {}).items()}
    before = world.snapshot()
    response = client.open(
        api_case.url.format(**world.ids),
        method=api_case.method,
        json=body if api_case.method != "GET" else None,
        headers=headers,
    )
    assert response.status_code == expected, response.get_data(as_text=True)[:2000]
    assert response.is_json
    if expected == 403:
        assert response.get_json()["error"]["message"] != GENERIC_403  # the rule's reason
    if api_case.method == "GET" or expected not in (200, 201):
        assert world.snapshot() == before, "a refused or read-only request changed the database"
        return
    try:
        with world.app.app_context():
            assert case.changed(db.session, world.ids)
            db.session.remove()
    finally:
        world.restore(before)
