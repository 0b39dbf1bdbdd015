"""Libraries: members describe theirs in a form; several members share one row.

A library is one row however its members spell it ("Perpus Desa Cibatu" is
"Perpustakaan Desa Cibatu"), and joining one that already has members is a
request a member of it (or a facilitator of its region) confirms; a library with
no members yet is joined at once. Callers commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext

from . import events
from .extensions import db
from .models import Library
from .models import LibraryRequest
from .models import User
from .models import utcnow
from .permissions import check
from .permissions import scope_clause
from .permissions import why_not_decide_join

OFFERED_LIMIT = 200  # a kabupaten's libraries offered in the form: more than any has today
# Words that say "library" or "village" in the many ways people write them: a name
# without them is what tells two libraries apart.
_NOISE = frozenset(
    {"perpustakaan", "perpus", "perpusdes", "pustaka", "desa", "ds", "kelurahan", "kel", "library"}
)


@dataclass(frozen=True)
class LibraryDetails:
    """A library as a member describes it in a form (``library_id``: picked from the list)."""

    name: str
    village: str = ""
    district: str = ""
    regency: str = ""
    province: str = ""
    library_id: int | None = None


def name_key(text: str) -> str:
    """What stays of a library's or village's name once case, spaces, punctuation and
    "perpustakaan"/"perpus"/"desa" are set aside: equal keys, same library."""
    words = re.findall(r"\w+", (text or "").lower())
    return " ".join(word for word in words if word not in _NOISE)


def libraries_in(regency: str | None) -> list[Library]:
    """The libraries registered in a kabupaten/kota, by name (offered in the forms)."""
    if not regency:
        return []
    return list(
        db.session.scalars(
            sa.select(Library)
            .where(Library.regency == regency)
            .order_by(sa.func.lower(Library.name), Library.id)
            .limit(OFFERED_LIMIT)
        )
    )


def _matching(details: LibraryDetails) -> Library | None:
    if details.library_id is not None:
        picked = db.session.get(Library, details.library_id)
        if picked is not None and picked.regency == details.regency:
            return picked
    name, village = name_key(details.name), name_key(details.village)
    if not name and not village:
        return None
    for library in libraries_in(details.regency):
        same_name = name_key(library.name) == name
        # "Perpustakaan Desa Cibatu" in Cibatu: the name may be the village's alone.
        if (
            same_name
            and name_key(library.village) in (village, "")
            or (not name and name_key(library.village) == village and not name_key(library.name))
        ):
            return library
    return None


def find_or_create_library(details: LibraryDetails) -> Library:
    """The library picked from the list or spelled like one of this kabupaten's, else a new one."""
    library = _matching(details)
    if library is None:
        library = Library(
            name=" ".join(details.name.split()),
            village=" ".join(details.village.split()),
            district=" ".join(details.district.split()),
            regency=details.regency,
            province=details.province,
        )
        db.session.add(library)
    return library


def _members_clause(library_id):
    return sa.and_(User.library_id == library_id, User.deleted_at.is_(None))


def offered_libraries(form) -> list[Library]:
    """The chosen kabupaten/kota's libraries, listed to pick when a library form comes back
    (without JavaScript this is when the member first sees them)."""
    return libraries_in(form.region.data) if form.is_submitted() else []


def join_notice(user: User):
    """What a member who asked to join a library is told (``None``: nothing waits)."""
    request = waiting_request(user)
    if request is None:
        return None
    # gettext, not lazy_gettext: a lazy string counts as safe HTML (it has __html__), so
    # the library's name, which a member typed, would reach the page unescaped.
    return gettext(
        "You asked to join %(library)s: waiting for one of its members to confirm.",
        library=request.library.name,
    )


def has_members(library: Library, *, besides: User | None = None) -> bool:
    if library.id is None:
        return False
    query = sa.select(User.id).where(_members_clause(library.id))
    if besides is not None and besides.id is not None:
        query = query.where(User.id != besides.id)
    return db.session.scalar(query.limit(1)) is not None


def waiting_request(user: User) -> LibraryRequest | None:
    return next((r for r in user.library_requests if r.status == "waiting"), None)


def join_library(user: User, details: LibraryDetails) -> LibraryRequest | None:
    """The member belongs to this library: at once if it is new or has no members,
    else through a request (returned) its members are told about.

    Until it is confirmed the member keeps the library they had (none at registration).
    No name leaves the member without a library and withdraws a waiting request.
    """
    earlier = waiting_request(user)
    if not details.name.strip() and details.library_id is None:
        if earlier is not None:
            user.library_requests.remove(earlier)
        user.library = None
        return None
    library = find_or_create_library(details)
    if user.library is not None and user.library is library:
        if earlier is not None:
            user.library_requests.remove(earlier)
        return None
    if earlier is not None:
        if earlier.library is library:
            return earlier
        user.library_requests.remove(earlier)
    if not has_members(library, besides=user):
        user.library = library
        return None
    request = LibraryRequest(library=library)
    with events.all_or_nothing():
        user.library_requests.append(request)
        db.session.add(user)
        db.session.flush()
        events.library_join_requested.send(request)
    return request


def requests_to_decide(viewer: User) -> list[LibraryRequest]:
    """Waiting requests the viewer may decide: for their own library, and in the regions
    a facilitator looks after; the oldest first."""
    mine = [LibraryRequest.library_id == viewer.library_id] if viewer.library_id else []
    if viewer.is_facilitator:
        mine.append(scope_clause(viewer, Library.regency, Library.province))
    if not mine:
        return []
    return list(
        db.session.scalars(
            sa.select(LibraryRequest)
            .join(LibraryRequest.library)
            .join(User, User.id == LibraryRequest.user_id)
            .where(
                LibraryRequest.status == "waiting",
                User.deleted_at.is_(None),
                LibraryRequest.user_id != viewer.id,
                sa.or_(*mine),
            )
            .options(so.contains_eager(LibraryRequest.library), so.joinedload(LibraryRequest.user))
            .order_by(LibraryRequest.created_at, LibraryRequest.id)
            .limit(OFFERED_LIMIT)
        )
    )


def load_request(request_id: int) -> LibraryRequest | None:
    return db.session.get(
        LibraryRequest,
        request_id,
        options=[so.joinedload(LibraryRequest.library), so.joinedload(LibraryRequest.user)],
    )


def decide(actor: User, request: LibraryRequest, *, confirmed: bool) -> None:
    """Confirm (the member joins the library) or decline a waiting request; the member hears."""
    check(why_not_decide_join(actor, request))
    with events.all_or_nothing():
        request.status = "confirmed" if confirmed else "declined"
        request.decided_at = utcnow()
        request.decided_by = actor
        if confirmed:
            request.user.library = request.library
        db.session.flush()
        events.library_join_decided.send(actor, request=request)
