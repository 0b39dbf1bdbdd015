"""Libraries: members describe theirs in a form; several members share one row."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from .extensions import db
from .models import Library


@dataclass(frozen=True)
class LibraryDetails:
    """A library as a member describes it in a form."""

    name: str
    village: str = ""
    district: str = ""
    regency: str = ""
    province: str = ""


def find_or_create_library(details: LibraryDetails) -> Library:
    """The library with this name in this village and kabupaten, created if new.

    Several members of one library type the same name and place, so they end up
    in the same row.
    """
    name = " ".join(details.name.split())
    village = " ".join(details.village.split())
    library = db.session.scalar(
        sa.select(Library).where(
            sa.func.lower(Library.name) == name.lower(),
            sa.func.lower(Library.village) == village.lower(),
            Library.regency == details.regency,
        )
    )
    if library is None:
        library = Library(
            name=name,
            village=village,
            district=" ".join(details.district.split()),
            regency=details.regency,
            province=details.province,
        )
        db.session.add(library)
    return library
