"""The dashboard's stored figures equal what a direct count of the forum gives.

The dashboard reads counts that writes keep up to date (forum/insight/aggregates.py);
forum/insight/direct.py counts the same figures from the posts themselves. After a
mix of writes through the services (post, reply, edit, hide, restore, withdraw,
solve, move, delete an account), every figure must be the same in every time zone
a member can choose, for the whole country, a province and a kabupaten/kota.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.insight import aggregates
from forum.insight import direct
from forum.insight import figures
from forum.insight.aggregates import ZONES
from forum.insight.aggregates import rebuild
from forum.insight.models import FigureCount
from forum.insight.models import LibraryActivity
from forum.insight.models import ThreadFigure
from forum.models import Post
from forum.models import Thread
from forum.models import User
from forum.moderation import service as moderation
from forum.regions import Region
from forum.threads import service as threads
from forum.users.accounts import delete_account
from tests.helpers import at

WIT = "Asia/Jayapura"
WIB = "Asia/Jakarta"
REGIONS = ("", "provinsi-jawa-barat", "purwakarta", "provinsi-papua")
# A WIT midnight: 31 January 23:30 WIT is 14:30 UTC, 1 February 00:30 WIT is 15:30 UTC;
# both are still 31 January in WIB (21:30 and 22:30).
BEFORE_MIDNIGHT = "2026-01-31 14:30"
AFTER_MIDNIGHT = "2026-01-31 15:30"
PERIODS = (
    (date(2026, 1, 31), date(2026, 2, 1)),  # two days around the boundary
    (date(2026, 2, 1), date(2026, 2, 28)),  # a whole month (read from the month rows)
    (date(2025, 12, 15), date(2026, 3, 20)),  # edge days and whole months
)


def _period(start, end, region="", zone=WIT):
    return figures.Period(start, end, Region.parse(region), zone)


def _same_everywhere() -> None:
    """Every figure, stored and direct, for each zone, region and period."""
    for zone in ZONES:
        for region in REGIONS:
            for start, end in PERIODS:
                period = _period(start, end, region, zone)
                stored, counted = figures.summary(period), direct.summary(period)
                for name in ("median_first_reply", "median_solved"):
                    # Picked from the same stored durations; the direct query computes
                    # the seconds again, which may differ in the last bits of a float.
                    assert getattr(stored, name) == pytest.approx(getattr(counted, name)), name
                medians = {"median_first_reply": None, "median_solved": None}
                assert stored.__dict__ | medians == counted.__dict__ | medians, period
                assert figures.top_tags(period) == direct.top_tags(period)
                assert figures.solved_by_region(period) == direct.solved_by_region(period)
                assert figures.unanswered_challenges(period) == direct.unanswered_challenges(period)
                assert figures.daily_counts(period) == direct.daily_counts(period)


def _stored_rows() -> dict:
    return {
        model.__tablename__: sorted(
            tuple(row) for row in db.session.execute(sa.select(*model.__table__.c))
        )
        for model in (ThreadFigure, FigureCount, LibraryActivity)
    }


@pytest.fixture
def forum(app, make_user, make_thread, make_reply, facilitator):
    """Members in Purwakarta, Garut (Jawa Barat) and Jayapura (Papua), threads around a
    WIT midnight, replies on both sides of it."""
    ani = make_user("ani", regency="purwakarta", created_at=at(BEFORE_MIDNIGHT))
    budi = make_user("budi", library="Perpustakaan Garut", regency="garut")
    yosef = make_user(
        "yosef",
        library="Perpustakaan Jayapura",
        regency="jayapura",
        province="papua",
        created_at=at(AFTER_MIDNIGHT),
    )
    late = make_thread(ani, kind="challenge", tags=("dana-desa",), created_at=at(BEFORE_MIDNIGHT))
    early = make_thread(
        yosef, kind="challenge", tags=("dana-desa", "literasi-anak"), created_at=at(AFTER_MIDNIGHT)
    )
    practice = make_thread(budi, created_at=at("2026-01-02 01:00"))
    quiet = make_thread(yosef, kind="challenge", created_at=at("2025-12-20 01:00"))
    replies = {
        "budi_late": make_reply(late, budi, created_at=at("2026-01-31 16:05")),
        "yosef_late": make_reply(late, yosef, created_at=at("2026-02-02 03:00")),
        "ani_early": make_reply(early, ani, created_at=at("2026-02-01 02:00")),
        "own": make_reply(early, yosef, created_at=at(AFTER_MIDNIGHT)),
        "budi_practice": make_reply(practice, budi, created_at=at("2026-03-01 02:00")),
    }
    return dict(
        users=dict(ani=ani, budi=budi, yosef=yosef, facilitator=facilitator),
        threads=dict(late=late, early=early, practice=practice, quiet=quiet),
        replies=replies,
    )


def test_a_post_lands_in_its_local_day_week_and_month(forum, app):
    with app.app_context():
        boundary = (date(2026, 1, 31), date(2026, 2, 1))
        assert figures.daily_counts(_period(*boundary))["challenge"] == [1, 1]
        assert figures.daily_counts(_period(*boundary, zone=WIB))["challenge"] == [2, 0]
        wit = _period(date(2026, 1, 25), date(2026, 2, 7))
        assert [b.challenges for b in figures.weekly(wit)] == [1, 1]
        assert [b.challenges for b in figures.monthly(wit)] == [1, 1]
        wib = _period(wit.start, wit.end, zone=WIB)
        assert [b.challenges for b in figures.monthly(wib)] == [2, 0]
        february = (date(2026, 2, 1), date(2026, 2, 28))
        assert figures.summary(_period(*february)).challenges == 1
        assert figures.summary(_period(*february)).new_members == 1  # yosef, 00:30 WIT
        assert figures.summary(_period(*february, zone=WIB)).challenges == 0


def test_stored_figures_equal_a_direct_count_after_a_mix_of_writes(forum, app):
    with app.app_context():
        _same_everywhere()
        session = db.session
        users = {name: session.get(User, user.id) for name, user in forum["users"].items()}
        thread = {name: session.get(Thread, t.id) for name, t in forum["threads"].items()}
        reply = {name: session.get(Post, p.id) for name, p in forum["replies"].items()}
        admin = users["facilitator"]

        threads.solve(users["ani"], thread["late"], reply["budi_late"], now=at("2026-02-03 01:00"))
        moderation.hide_post(admin, reply["ani_early"], "Iklan")  # early: unanswered again
        threads.edit_post(users["budi"], reply["budi_late"], "Coba minta ke pemdes.")
        session.commit()
        _same_everywhere()

        moderation.restore_post(admin, reply["ani_early"])
        moderation.hide_thread(admin, thread["practice"], "Salah tempat")
        threads.withdraw_post(users["yosef"], reply["yosef_late"])
        moderation.move_thread(admin, thread["quiet"], "practice")
        thread["early"].regency, thread["early"].province = "garut", "jawa-barat"  # moved
        session.commit()
        _same_everywhere()

        moderation.restore_thread(admin, thread["practice"])
        delete_account(users["budi"])  # his replies no longer count in Garut
        session.commit()
        _same_everywhere()

        # Recounting everything from scratch finds what the writes left.
        kept = _stored_rows()
        rebuild(session.connection())
        assert _stored_rows() == kept


def _post(author, thread, when):
    return threads.create_reply(
        db.session.get(User, author.id),
        db.session.get(Thread, thread.id),
        "Kami juga.",
        now=at(when),
    )


def test_new_replies_threads_and_members_add_what_a_recount_would_give(forum, app, make_user):
    """The usual writes only add rows: the figures move by what those rows count in (no day
    is read again), and still equal a direct count and a recount from scratch."""
    users, thread = forum["users"], forum["threads"]
    waiting = make_user("siti", approval="waiting")  # what she writes waits for approval
    with app.app_context():
        _post(users["budi"], thread["quiet"], "2026-02-01 01:00")  # answers it: not unanswered
        _post(users["yosef"], thread["quiet"], "2026-02-01 02:00")  # its author: changes nothing
        _post(waiting, thread["early"], BEFORE_MIDNIGHT)  # not public: counts nowhere yet
        db.session.commit()
        fresh = threads.create_thread(
            db.session.get(User, users["yosef"].id),
            "challenge",
            "Buku rusak terkena banjir",
            "Bagaimana menyelamatkan buku yang basah?",
            ["dana-desa", "bencana"],
            now=at(AFTER_MIDNIGHT),
        )
        threads.create_thread(
            db.session.get(User, waiting.id), "practice", "Pojok baca", "Kami mulai.", ["dongeng"]
        )
        db.session.commit()
        _post(users["yosef"], fresh, "2026-01-31 15:45")  # the author's own: still unanswered
        db.session.commit()
        make_user("rahel", regency="jayapura", province="papua", created_at=at(AFTER_MIDNIGHT))
        make_user("tamu", library=None)
        _same_everywhere()

        kept = _stored_rows()
        rebuild(db.session.connection())
        assert _stored_rows() == kept


def test_a_reply_on_a_busy_day_adds_a_few_statements_not_a_recount(
    forum, app, make_user, make_thread, count_queries, monkeypatch
):
    """Keeping the figures costs a reply the same few statements however much its day holds."""
    recount = aggregates.apply
    ran: list[str] = []

    def counted(conn, changes):
        with count_queries() as statements:
            recount(conn, changes)
        ran.extend(statements)

    monkeypatch.setattr(aggregates, "apply", counted)
    users = forum["users"]
    challenge = make_thread(users["ani"], kind="challenge")
    for n in range(30):  # a meeting day: the day holds many rows
        make_thread(make_user(f"peserta{n}"), created_at=at("2026-06-01 02:00"))

    def statements_of_a_reply(author) -> int:
        ran.clear()
        with app.app_context():
            _post(author, challenge, "2026-06-01 03:00")
            db.session.commit()
        return len(ran)

    # The first answer: read the thread's row and its new state, rewrite the row, read the
    # reply's place, add the counts, drop the emptied "unanswered" count, move the library's
    # last post. A later reply leaves the thread's row as it was. PostgreSQL first takes
    # the lock that keeps writers' figures in order.
    with app.app_context():
        lock = 1 if db.engine.dialect.name == "postgresql" else 0
    assert statements_of_a_reply(users["budi"]) == lock + 8
    assert statements_of_a_reply(users["yosef"]) == lock + 5


def test_rebuild_command_recounts_rows_written_around_the_application(forum, app, runner):
    with app.app_context():
        # A bulk import bypasses the session: the stored figures do not see it...
        db.session.execute(sa.update(Thread).values(hidden=True))
        db.session.commit()
        period = _period(date(2026, 1, 1), date(2026, 2, 28))
        assert figures.summary(period).challenges == 2
        assert direct.summary(period).challenges == 0
    result = runner.invoke(args=["figures", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "rows in thread_figures" in result.output
    with app.app_context():
        # ... until they are rebuilt.
        assert figures.summary(period).challenges == 0
        _same_everywhere()
