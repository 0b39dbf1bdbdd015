"""Making the book of good practices: the labels, the HTML page, the PDF, the file's name."""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from flask import render_template
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import ngettext

from ..i18n import local_today
from . import compilation
from .compilation import Selection
from .pdf import render_pdf

MIMETYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}


def describe(selection: Selection) -> list[str]:
    """The cover's lines: region, period, which practices, when made."""
    lines = [selection.region_name or _("All regions")]
    if selection.start and selection.end:
        start, end = format_date(selection.start), format_date(selection.end)
        lines.append(_("Posted %(start)s to %(end)s", start=start, end=end))
    elif selection.start:
        lines.append(_("Posted from %(start)s", start=format_date(selection.start)))
    elif selection.end:
        lines.append(_("Posted until %(end)s", end=format_date(selection.end)))
    if selection.verified_only:
        lines.append(_("Verified practices only"))
    lines.append(_("Made on %(day)s", day=format_date(local_today())))
    return lines


def labels(selection: Selection, count: int) -> dict:
    return {
        "title": _("Kumpulan Praktik Baik"),
        "subtitle": _("Best practices of village libraries"),
        "cover_lines": [
            *describe(selection),
            ngettext("%(num)d practice", "%(num)d practices", count),
        ],
        "contents": _("Contents"),
        "index": _("Index by kabupaten/kota"),
        "no_region": _("Without a kabupaten/kota"),
        "photos": _("Photos"),
        "adoptions": _("Tried in other libraries"),
        "since": _("since {day}"),
        "participants_count": _("{num} participants"),
        "verified_by": _("Verified by {name} on {date}"),
    }


def _embedded_css() -> str:
    """The print style inside the file, for a book downloaded and opened from disk."""
    return (Path(current_app.static_folder) / "compilation.css").read_text(encoding="utf-8")


def render_html(selection: Selection, book, *, inline_photos: bool) -> str:
    """The page; ``inline_photos``: a file that stands alone (photos and style inside)."""
    return render_template(
        "practices/compilation.html",
        embed_css=_embedded_css() if inline_photos else None,
        selection=selection,
        book=book,
        index=compilation.by_regency(book, _("Without a kabupaten/kota")),
        labels=labels(selection, len(book)),
        photo_src=compilation.photo_source(inline_photos),
    )


def make(selection: Selection, fmt: str, *, inline_photos: bool) -> bytes:
    """The whole book in ``fmt`` ("html" or "pdf")."""
    book = compilation.chapters(selection)
    if fmt == "pdf":
        return render_pdf(selection, book, labels(selection, len(book)))
    return render_html(selection, book, inline_photos=inline_photos).encode("utf-8")


def filename(selection: Selection, fmt: str) -> str:
    region = selection.region.param or "semua"
    return f"kumpulan-praktik-baik-{region}-{local_today().isoformat()}.{fmt}"
