"""The demo community shows regions, the approval queue and partners' support at once
(issues 20 and 21): what `make run` puts in front of someone trying Serambi."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from forum.database import writing
from forum.demo import DATA_FILE
from forum.demo import load_demo
from forum.models import FacilitatorScope
from forum.models import Thread
from forum.models import User
from forum.partners.models import Offer
from forum.partners.models import SupportRequest
from tests.helpers import app_db
from tests.helpers import login_as
from tests.helpers import main_text

PASSWORD = json.loads(DATA_FILE.read_text(encoding="utf-8"))["password"]


@pytest.fixture
def demo(app):
    with app.app_context(), writing():
        load_demo()
    return app


def browser(app, username=None):
    client = app.test_client()
    client.set_cookie("lang", "en")
    if username:
        login_as(client, User(username=username), password=PASSWORD)
    return client


def test_two_regional_facilitators_and_one_national(demo):
    with app_db(demo) as session:
        scopes = session.execute(
            sa.select(User.username, FacilitatorScope.region)
            .join(FacilitatorScope, FacilitatorScope.user_id == User.id)
            .order_by(User.username)
        ).all()
    assert scopes == [
        ("maya_fasilitator", "provinsi-jawa-barat"),
        ("rina_fasilitator", "nasional"),
        ("yusuf_fasilitator", "purwakarta"),
    ]


def test_a_member_waits_in_the_queue_with_approval_off(demo):
    assert not demo.config["REGISTRATION_APPROVAL"]
    with app_db(demo) as session:
        tono = session.scalar(sa.select(User).where(User.username == "tono_cibatu"))
        assert tono.is_waiting
        waiting = session.scalar(sa.select(Thread).where(Thread.author_id == tono.id))
        thread_id, title = waiting.id, waiting.title
    assert title in main_text(browser(demo, "yusuf_fasilitator").get("/mod/pending"))
    assert browser(demo).get(f"/threads/{thread_id}").status_code == 404


def test_two_partners_offer_on_open_challenges_one_delivered(demo):
    with app_db(demo) as session:
        offers = session.execute(
            sa.select(User.username, Offer.status)
            .join(User, User.id == Offer.offered_by_id)
            .join(SupportRequest, SupportRequest.thread_id == Offer.thread_id)
            .order_by(Offer.id)
        ).all()
    assert {username for username, _status in offers} == {"dedi_pemdes", "wulan_csr"}
    assert sorted(status for _username, status in offers) == [
        "accepted",
        "declined",
        "delivered",
        "offered",
    ]
    board = main_text(browser(demo).get("/support"))
    assert "Donasi buku datang banyak" in board  # an offer waits for its answer
    assert "Laptop cuma satu" not in board  # its one need was delivered


def test_the_stakeholder_meeting_lists_its_commitments(demo):
    with app_db(demo) as session:
        meeting_id = session.scalar(
            sa.select(Offer.meeting_id).where(Offer.meeting_id.is_not(None))
        )
    page = main_text(browser(demo).get(f"/meetings/{meeting_id}"))
    assert "Pemerintah Desa Sukatani" in page and "CSR PT Sinar Tani Nusantara" in page
    assert "2 commitments · 1 delivered since" in page
