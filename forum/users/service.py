"""Member profiles and the libraries they belong to."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..libraries import LibraryDetails
from ..libraries import join_library
from ..models import LibraryRequest
from ..models import Post
from ..models import User
from ..permissions import Refused
from ..permissions import visible_posts_clause
from ..permissions import visible_threads_clause
from ..refusals import Refusal


def library_details_of(user: User) -> LibraryDetails:
    """The member's library as the form shows it (the one they asked to join, while it waits)."""
    library = user.library or user.requested_library
    if library is None:
        return LibraryDetails(name="")
    return LibraryDetails(
        name=library.name,
        village=library.village,
        district=library.district,
        regency=library.regency,
        province=library.province,
    )


def _same_library(user: User, library: LibraryDetails) -> bool:
    current = library_details_of(user)
    return all(
        (getattr(current, name) or "").strip() == (getattr(library, name) or "").strip()
        for name in ("name", "village", "district", "regency", "province")
    )


def update_profile(
    user: User,
    *,
    display_name: str,
    timezone: str,
    locale: str | None,
    library: LibraryDetails,
) -> None:
    """Save a member's own profile; the library is looked up or created from its details.

    The e-mail address is not changed here: a new one takes effect only when its
    confirmation link is opened (:mod:`forum.auth.recovery`). A suspended member
    keeps the names shown on their posts until the suspension ends; time zone and
    language stay theirs to change. Raises :class:`~forum.refusals.Refusal`.
    """
    display_name = display_name.strip()
    if user.is_suspended:
        if display_name != user.stored_display_name:
            raise Refusal(
                "display_name",
                _l("While your account is suspended, your display name cannot be changed."),
            )
        if not _same_library(user, library):
            raise Refusal(
                "library_name",
                _l("While your account is suspended, your library cannot be changed."),
            )
    user.display_name = display_name
    user.timezone = timezone
    user.locale = locale or None
    join_library(user, library)


def load_member(username: str) -> User:
    """A member's public profile row (library loaded), or :class:`Refused` as 404."""
    user = db.session.scalar(
        sa.select(User)
        .where(User.username == username.lower()[:30])
        .options(
            sa.orm.joinedload(User.library),
            sa.orm.selectinload(User.library_requests).joinedload(LibraryRequest.library),
        )
    )
    if user is None or user.is_deleted:
        raise Refused("not found", status=404)
    return user


def contributions(user: User, viewer, page: int, per_page: int):
    """A page of the threads and replies this member wrote that the viewer may see."""
    query = (
        sa.select(Post)
        .join(Post.thread)
        .where(Post.author_id == user.id)
        .where(visible_posts_clause(viewer), visible_threads_clause(viewer))
        .options(sa.orm.contains_eager(Post.thread))
        .order_by(Post.created_at.desc(), Post.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def contribution_counts(user: User, viewer) -> tuple[int, int]:
    """(threads opened, replies written) that the viewer may see."""
    rows = db.session.execute(
        sa.select(Post.is_opening, sa.func.count())
        .join(Post.thread)
        .where(Post.author_id == user.id)
        .where(visible_posts_clause(viewer), visible_threads_clause(viewer))
        .group_by(Post.is_opening)
    ).all()
    counts = {bool(opening): n for opening, n in rows}
    return counts.get(True, 0), counts.get(False, 0)
