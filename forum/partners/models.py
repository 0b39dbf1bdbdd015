"""Partners' own rows: organisations, what a challenge asks for, and offers of support.

A partner organisation (a village government, an agency, a company's CSR
programme ...) has member accounts with the role ``partner``. A challenge may
ask for support (``SupportRequest`` with one ``SupportNeed`` per kind); a
partner answers with an ``Offer``, which the challenge's author or a
facilitator accepts or declines, and either side marks delivered. A need is
open until an offer of its kind on the same challenge is delivered: that is
computed, never stored, so it cannot drift.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from ..insight.models import Meeting
from ..models import Thread
from ..models import User
from ..models import UTCDateTime
from ..models import utcnow

PARTNER_KINDS = (
    "pemerintah-desa",
    "dinas",
    "perusahaan",
    "komunitas",
    "perguruan-tinggi",
    "perpustakaan",
)
NEED_KINDS = ("dana", "buku", "narasumber", "tempat", "peralatan", "internet")
OFFER_STATUSES = ("offered", "accepted", "declined", "delivered")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


class Partner(db.Model):
    """A stakeholder organisation; its members have the role ``partner``."""

    __tablename__ = "partners"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    # The regions served, as the dashboard writes them: "purwakarta provinsi-jawa-barat".
    regions: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.CheckConstraint(f"kind IN {_in(PARTNER_KINDS)}", name="kind"),)

    @property
    def region_params(self) -> list[str]:
        return self.regions.split()

    def __repr__(self) -> str:
        return f"<Partner {self.id} {self.kind} {self.name!r}>"


class SupportRequest(db.Model):
    """A challenge's request for support: a short description and the kinds it needs."""

    __tablename__ = "support_requests"

    thread_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True
    )
    description: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    thread: so.Mapped[Thread] = so.relationship()
    needs: so.Mapped[list[SupportNeed]] = so.relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="SupportNeed.kind"
    )

    @property
    def kinds(self) -> list[str]:
        """The kinds needed, in the order the form lists them."""
        return sorted((need.kind for need in self.needs), key=NEED_KINDS.index)


class SupportNeed(db.Model):
    """One kind of support a challenge needs (``dana``, ``buku`` ...)."""

    __tablename__ = "support_needs"

    thread_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("support_requests.thread_id", ondelete="CASCADE"), primary_key=True
    )
    kind: so.Mapped[str] = so.mapped_column(sa.String(20), primary_key=True, index=True)

    __table_args__ = (sa.CheckConstraint(f"kind IN {_in(NEED_KINDS)}", name="kind"),)


class Offer(db.Model):
    """A partner's offer of support on a challenge, and what became of it."""

    __tablename__ = "support_offers"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    thread_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("threads.id", ondelete="CASCADE"), index=True
    )
    partner_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("partners.id"), index=True)
    offered_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    what: so.Mapped[str] = so.mapped_column(sa.String(500))
    when: so.Mapped[str] = so.mapped_column("offered_when", sa.String(120))
    # The stakeholder meeting where it was committed, if any.
    meeting_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("meetings.id", ondelete="SET NULL"), index=True
    )
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="offered")
    note: so.Mapped[str | None] = so.mapped_column(sa.String(500))  # with an accept or decline
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)
    answered_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    answered_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    delivered_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    delivered_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    thread: so.Mapped[Thread] = so.relationship()
    partner: so.Mapped[Partner] = so.relationship(lazy="joined")
    offered_by: so.Mapped[User] = so.relationship(foreign_keys=[offered_by_id])
    meeting: so.Mapped[Meeting | None] = so.relationship()

    __table_args__ = (
        sa.CheckConstraint(f"kind IN {_in(NEED_KINDS)}", name="kind"),
        sa.CheckConstraint(f"status IN {_in(OFFER_STATUSES)}", name="status"),
    )

    def __repr__(self) -> str:
        return f"<Offer {self.id} {self.kind} on {self.thread_id} {self.status}>"
