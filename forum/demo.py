"""Loads the Indonesian demo community from ``data/demo_community.json``.

The content is data; this module only feeds it through the same services the
web forms use, so the demo obeys every rule real members do.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from .adoptions import service as adoptions
from .auth.service import create_user
from .extensions import db
from .insight import service as insight
from .libraries import LibraryDetails
from .models import FacilitatorScope
from .models import Thread
from .models import User
from .models import utcnow
from .partners import service as partners
from .practices import service as practices
from .search.similar import refresh_all
from .threads import service as threads

DATA_FILE = Path(__file__).parent / "data" / "demo_community.json"
# Two practices a facilitator verified (issue 19): title, facilitator, summary.
VERIFIED = (
    (
        "Pojok baca di pos ronda: buku yang mendekat ke warga",
        "rina_fasilitator",
        "**Berhasil:** warga yang jarang ke perpustakaan meminjam buku saat ronda malam; "
        "peminjaman naik sekitar dua kali lipat dalam tiga bulan.\n\n"
        "**Untuk siapa:** desa dengan pos ronda aktif dan perpustakaan yang jauh dari "
        "permukiman.\n\n**Biaya:** satu rak bekas dan 30-50 buku rotasi; sekitar "
        "Rp150.000 untuk rak dan buku catatan pinjam.",
    ),
    (
        "Motor pustaka keliling ke grumbul-grumbul",
        "rina_fasilitator",
        "**Berhasil:** anak-anak di grumbul terjauh mendapat layanan baca tiap pekan.\n\n"
        "**Untuk siapa:** desa dengan dusun yang tersebar dan jalan yang sulit dilalui mobil."
        "\n\n**Biaya:** bensin sekitar Rp50.000 sepekan dan kotak buku tahan hujan; motor "
        "pinjaman relawan.",
    ),
)


class DatabaseNotEmpty(Exception):
    """Demo data goes only into an empty database."""


def load_demo(path: Path = DATA_FILE) -> dict:
    """Create the demo members, libraries, threads and replies, and commit."""
    if db.session.scalar(sa.select(sa.func.count(User.id))):
        raise DatabaseNotEmpty
    data = json.loads(path.read_text(encoding="utf-8"))
    libraries = {
        item["key"]: LibraryDetails(
            name=item["name"],
            village=item["village"],
            district=item["district"],
            regency=item["region"],
            province=item["province"],
        )
        for item in data["libraries"]
    }
    organisations = {
        item["key"]: partners.create_partner(None, item["name"], item["kind"], item["regions"])
        for item in data.get("partners", [])
    }
    members = {}
    now = utcnow()
    for item in data["members"]:
        member = members[item["username"]] = create_user(
            item["username"],
            item["email"],
            data["password"],
            display_name=item["display_name"],
            role=item["role"],
            library=libraries.get(item["library"]) if item["library"] else None,
            # One member waits for approval even with REGISTRATION_APPROVAL off: the
            # queue at /mod/pending has someone in it.
            waiting=item.get("waiting", False),
        )
        if item.get("partner"):
            partners.link_member(members[item["username"]], organisations[item["partner"]])
        if "scope" in item:  # regional facilitators (forum/permissions.py)
            member.scopes = [FacilitatorScope(region=value) for value in item["scope"]]
        if "joined_days_ago" in item:
            member.created_at = now - timedelta(days=item["joined_days_ago"])
    for member in members.values():
        member.email_confirmed_at = now  # demo addresses count as confirmed
    by_title = {}
    replies = 0
    made = []
    for item in sorted(data["threads"], key=lambda t: -t["days_ago"]):
        created = now - timedelta(days=item["days_ago"])
        thread = threads.create_thread(
            members[item["author"]],
            item["kind"],
            item["title"],
            item["body"],
            item["tags"],
            sections=item.get("sections"),
            now=created,
        )
        made.append((data["threads"].index(item), thread))
        by_title[item["title"]] = thread
        if item.get("needs"):
            needs = item["needs"]
            partners.set_needs(thread.author, thread, needs["kinds"], needs["description"])
            partners.support_request(thread).created_at = created
        posts = []
        for reply in item["replies"]:
            when = created + timedelta(hours=reply["hours_after"])
            posts.append(
                threads.create_reply(members[reply["author"]], thread, reply["body"], now=when)
            )
            replies += 1
        if item.get("accepted_reply") is not None:
            accepted = posts[item["accepted_reply"]]
            thread.accepted_post_id = accepted.id
            thread.solved_at = accepted.created_at + timedelta(hours=2)
    threads_by_index = dict(made)
    _spread(data, members, threads_by_index, now)
    for title, facilitator, summary in VERIFIED:
        practice = db.session.scalar(sa.select(Thread).where(Thread.title == title))
        if practice is not None:
            practices.verify(members[facilitator], practice, summary)
    _load_support(data, members, by_title, now)
    db.session.commit()
    refresh_all()  # older threads' similar threads include the ones loaded after them
    return {
        "members": len(members),
        "libraries": len(libraries),
        "threads": len(data["threads"]),
        "replies": replies,
        "adoptions": len(data.get("adoptions", [])),
        "password": data["password"],
    }


def _spread(data: dict, members: dict, threads_by_index: dict, now) -> None:
    """Practices tried in other kabupaten (with their updates), and challenges meeting them."""
    events = [(item["days_ago"], 0, item) for item in data.get("adoptions", [])]
    events += [(item["days_ago"], 1, item) for item in data.get("practice_links", [])]
    for days_ago, _order, item in sorted(events, key=lambda e: (-e[0], e[1])):
        when = now - timedelta(days=days_ago)
        member = members[item["member"]]
        if "challenge" not in item:
            details = adoptions.AdoptionDetails(
                status=item["status"],
                started_on=(now - timedelta(days=item["started_days_ago"])).date(),
                adapted=item["adapted"],
                result=item.get("result"),
                participants=item.get("participants"),
            )
            adoptions.record_adoption(member, threads_by_index[item["practice"]], details, now=when)
            continue
        challenge = threads_by_index[item["challenge"]]
        if "solved_by" in item:
            threads.solve(
                member, challenge, None, practice=threads_by_index[item["solved_by"]], now=when
            )
        else:
            adoptions.link_practice(
                member, challenge, str(threads_by_index[item["practice"]].id), now=when
            )


def _load_support(data: dict, members: dict, by_title: dict, now) -> None:
    """The stakeholder meetings, then partners' offers and what became of them."""
    meetings = {}
    for item in data.get("meetings", []):
        day = (now - timedelta(days=item["days_ago"])).date()
        meetings[item["key"]] = insight.create_meeting(
            members[item["by"]],
            insight.MeetingDetails(
                title=item["title"],
                kind=item["kind"],
                starts_on=day,
                ends_on=None,
                place=item["place"],
                regency=item["region"],
                participants=item["participants"],
                speakers=item["speakers"],
                summary=item["summary"],
            ),
        )
    for item in data.get("offers", []):
        thread = next(t for title, t in by_title.items() if title.startswith(item["thread"]))
        meeting = meetings.get(item["meeting"]) if item.get("meeting") else None
        offer = partners.make_offer(
            members[item["by"]],
            thread,
            item["kind"],
            item["what"],
            item["when"],
            meeting.id if meeting else None,
        )
        offer.created_at = min(now, thread.created_at + timedelta(days=item["days_after"]))
        if item.get("answer"):
            accept = item["answer"] == "accepted"
            partners.answer_offer(members[item["answered_by"]], offer, accept, item["note"] or "")
            offer.answered_at = min(now, offer.created_at + timedelta(days=2))
        if item.get("delivered_by"):
            partners.mark_delivered(members[item["delivered_by"]], offer)
            offer.delivered_at = min(now, offer.created_at + timedelta(days=20))
