"""The command-line tools: demo data, member accounts, migrations."""

from __future__ import annotations

import json

import sqlalchemy as sa

from forum.adoptions.models import Adoption
from forum.demo import DATA_FILE
from forum.models import Post
from forum.models import Thread
from forum.models import User
from tests.helpers import app_db
from tests.helpers import login_as


def test_demo_loads_a_living_community(app, runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    with app_db(app) as session:
        assert session.scalar(sa.select(sa.func.count(User.id))) == len(data["members"])
        assert session.scalar(sa.select(sa.func.count(Thread.id))) == len(data["threads"])
        kinds = set(session.scalars(sa.select(Thread.kind)))
        assert kinds == {"practice", "challenge"}
        replies = session.scalar(sa.select(sa.func.count(Post.id)).where(~Post.is_opening))
        # Each adoption (and each update of one) is told in its practice's thread as a reply.
        stories = len(data["adoptions"])
        assert replies == sum(len(t["replies"]) for t in data["threads"]) + stories
        assert session.scalar(sa.select(sa.func.count(Adoption.id))) == len(
            {(a["practice"], a["member"]) for a in data["adoptions"]}
        )
        solved_by_practice = session.scalar(
            sa.select(sa.func.count(Thread.id)).where(
                Thread.solved_at.is_not(None), Thread.accepted_post_id.is_(None)
            )
        )
        assert solved_by_practice >= 1
        regencies = set(session.scalars(sa.select(Thread.regency)))
        assert len(regencies - {None}) >= 3
        assert (
            session.scalar(
                sa.select(sa.func.count(Thread.id)).where(Thread.accepted_post_id.is_not(None))
            )
            >= 1
        )
    home = app.test_client().get("/").get_data(as_text=True)
    assert data["threads"][0]["title"].split()[0] in home or "Praktik" in home


def test_demo_never_loads_over_real_data(app, runner, make_user):
    make_user()
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0
    assert "not loaded" in result.output
    with app_db(app) as session:
        assert session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_demo_members_can_log_in(app, runner):
    runner.invoke(args=["demo", "load"])
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    member = data["members"][0]
    client = app.test_client()
    login_as(client, type("U", (), {"username": member["username"]}), password=data["password"])


def test_users_create_with_all_options_is_non_interactive(app, runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "rina_fasilitator",
            "--email",
            "rina@contoh.id",
            "--password",
            "rahasia-rina",
            "--role",
            "facilitator",
        ]
    )
    assert result.exit_code == 0, result.output
    with app_db(app) as session:
        user = session.scalar(sa.select(User).where(User.username == "rina_fasilitator"))
        assert user.role == "facilitator" and user.library is None


def test_users_create_prompts_for_the_password(app, runner):
    result = runner.invoke(
        args=["users", "create", "budi", "--email", "budi@contoh.id"],
        input="rahasia-budi\nrahasia-budi\n",
    )
    assert result.exit_code == 0, result.output
    login_as(app.test_client(), type("U", (), {"username": "budi"}), password="rahasia-budi")


def test_users_create_refuses_duplicates_and_bad_roles(app, runner, make_user):
    make_user("budi")
    result = runner.invoke(
        args=["users", "create", "BUDI", "--email", "x@contoh.id", "--password", "rahasia-budi"]
    )
    assert result.exit_code != 0
    result = runner.invoke(
        args=[
            "users",
            "create",
            "andi",
            "--email",
            "a@contoh.id",
            "--password",
            "rahasia-andi",
            "--role",
            "raja",
        ]
    )
    assert result.exit_code != 0


def test_users_set_password(app, runner, make_user):
    user = make_user()
    result = runner.invoke(
        args=["users", "set-password", user.username, "--password", "baru-lagi-1"]
    )
    assert result.exit_code == 0, result.output
    login_as(app.test_client(), user, password="baru-lagi-1")
    result = runner.invoke(args=["users", "set-password", "tidak_ada", "--password", "baru-lagi-1"])
    assert result.exit_code != 0


def test_a_deleted_account_cannot_get_a_password_again(app, runner, make_user):
    from forum.models import User
    from forum.users.accounts import delete_account

    with app_db(app) as session:
        user = session.get(User, make_user().id)
        delete_account(user)
        session.commit()
        username = user.username
    result = runner.invoke(args=["users", "set-password", username, "--password", "baru-lagi-1"])
    assert result.exit_code != 0
    assert "deleted their account" in result.output
