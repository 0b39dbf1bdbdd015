"""The book of good practices ("Kumpulan Praktik Baik"): what goes in, as HTML and as PDF.

A facilitator chooses a region (written as on the dashboard: a kabupaten/kota
slug, ``provinsi-<slug>``, or empty for all), a period (local days, both
included, either end open) and whether only verified practices count. Only
public practices go in (never a hidden or withdrawn thread, a hidden or
withdrawn opening post, or a hidden file), whoever asks: the book is printed and
passed around. Chapters are ordered by kabupaten/kota, then by date, so the
index by kabupaten follows the book.

The HTML is a print-ready A4 page (templates/practices/compilation.html); the PDF
is drawn with fpdf2 (pure Python, Pillow for the photos: no system library).
"""

from __future__ import annotations

import base64
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so
from markupsafe import Markup

from ..adoptions.models import Adoption
from ..adoptions.texts import STATUS_LABELS
from ..attachments.models import Attachment
from ..attachments.storage import get_storage
from ..extensions import db
from ..insight.figures import Region
from ..models import Post
from ..models import Thread
from ..regions import regions
from ..sections import SECTIONS
from .models import PracticeVerification

PRACTICE_SECTIONS = tuple(section for section in SECTIONS if section.kind == "practice")
PHOTOS_PER_CHAPTER = 4  # the first visible photos of the opening post
# Larger compilations are made in the background (forum/practices/jobs.py). Measured with
# bench/compilation.py (bench/RESULTS.md) on the shared 2-core box: the HTML page of 200
# practices with 400 photos takes 0.13-0.4 s, the PDF 8-11 s (40-55 ms a practice with two
# photos: text layout, and a JPEG encoding per photo). So a PDF past 25 practices or 50
# photos, or a page past 300 practices or 600 photos, is not made inside one request.
INLINE_MAX_PRACTICES = {"html": 300, "pdf": 25}
INLINE_MAX_PHOTOS = {"html": 600, "pdf": 50}


def in_background(fmt: str, practices: int, photos: int) -> bool:
    """Is this compilation too large to make inside one request?"""
    return practices > INLINE_MAX_PRACTICES[fmt] or photos > INLINE_MAX_PHOTOS[fmt]


@dataclass(frozen=True)
class Selection:
    """What a facilitator asked for."""

    region: Region = Region()
    start: date | None = None
    end: date | None = None
    verified_only: bool = False
    timezone: str = "Asia/Jakarta"

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=ZoneInfo(self.timezone)).astimezone(UTC)

    def conditions(self) -> list:
        """Public practices posted in the period and region (verified ones, if asked)."""
        conditions = [
            Thread.kind == "practice",
            Thread.is_public,
            self.region.clause(Thread.regency, Thread.province),
        ]
        if self.start:
            conditions.append(Thread.created_at >= self._midnight(self.start))
        if self.end:
            conditions.append(Thread.created_at < self._midnight(self.end + timedelta(days=1)))
        if self.verified_only:
            conditions.append(
                sa.exists().where(
                    PracticeVerification.thread_id == Thread.id,
                    PracticeVerification.unverified_at.is_(None),
                )
            )
        return conditions

    def params(self) -> dict:
        """The query parameters (and stored request) that select this again."""
        params = {"region": self.region.param}
        if self.start:
            params["from"] = self.start.isoformat()
        if self.end:
            params["to"] = self.end.isoformat()
        if self.verified_only:
            params["verified"] = "1"
        return params

    @classmethod
    def from_params(cls, params: dict, timezone: str) -> Selection:
        def day(name):
            return date.fromisoformat(params[name]) if params.get(name) else None

        return cls(
            Region.parse(params.get("region")),
            day("from"),
            day("to"),
            params.get("verified") == "1",
            timezone,
        )

    @property
    def region_name(self) -> str:
        return self.region.name


@dataclass
class Photo:
    attachment: Attachment

    @property
    def caption(self) -> str:
        return self.attachment.caption

    def data_uri(self) -> str:
        """The thumbnail inside the page (a downloaded book keeps its photos)."""
        data = get_storage().read(self.attachment.thumb_key)
        return "data:image/webp;base64," + base64.b64encode(data).decode("ascii")

    def data(self) -> bytes:
        return get_storage().read(self.attachment.thumb_key)


@dataclass(frozen=True)
class Tried:
    """A library that tried the practice ("Kami mencoba ini"), as the book prints it."""

    library: str
    regency: str
    status: str
    started_on: date
    result: str | None
    participants: int | None


@dataclass
class Chapter:
    number: int
    thread: Thread
    opening: Post | None
    # The report's sections in the order the practice page shows them (participants too).
    sections: list[tuple[str, Markup]] = field(default_factory=list)
    photos: list[Photo] = field(default_factory=list)
    # The libraries that tried it (forum/adoptions), running ones first.
    adoptions: list[Tried] = field(default_factory=list)

    @property
    def regency_name(self) -> str:
        return regions().regency_name(self.thread.regency) if self.thread.regency else ""

    @property
    def verification(self) -> PracticeVerification | None:
        return self.thread.verification if self.thread.is_verified else None


def _query(selection: Selection):
    return sa.select(Thread).where(*selection.conditions())


def count(selection: Selection) -> tuple[int, int]:
    """How many practices and visible photos a compilation would hold (two cheap counts)."""
    practices = db.session.scalar(
        sa.select(sa.func.count()).select_from(_query(selection).subquery())
    )
    photos = db.session.scalar(
        sa.select(sa.func.count(Attachment.id))
        .join(Post, Attachment.post_id == Post.id)
        .join(Thread, Post.thread_id == Thread.id)
        .where(*selection.conditions(), *_visible_photo(), *_shown_opening())
    )
    return practices, min(photos, practices * PHOTOS_PER_CHAPTER)


def _shown_opening() -> list:
    return [Post.is_opening.is_(True), Post.is_public]


def _visible_photo() -> list:
    return [
        Attachment.kind == "image",
        Attachment.hidden.is_(False),
        Attachment.thumb_key.is_not(None),
    ]


def chapters(selection: Selection) -> list[Chapter]:
    """The book's chapters, by kabupaten/kota then date (three queries whatever the size)."""
    threads = list(
        db.session.scalars(
            _query(selection)
            .options(so.joinedload(Thread.author), so.joinedload(Thread.library))
            .order_by(
                Thread.regency.is_(None),  # without a kabupaten last, on every database
                Thread.province,
                Thread.regency,
                Thread.created_at,
                Thread.id,
            )
        )
    )
    ids = [thread.id for thread in threads]
    openings = (
        {
            post.thread_id: post
            for post in db.session.scalars(
                sa.select(Post).where(Post.thread_id.in_(ids), *_shown_opening())
            )
        }
        if ids
        else {}
    )
    photos: dict[int, list[Photo]] = {}
    if openings:
        for attachment in db.session.scalars(
            sa.select(Attachment)
            .where(Attachment.post_id.in_([post.id for post in openings.values()]))
            .where(*_visible_photo())
            .order_by(Attachment.post_id, Attachment.position, Attachment.id)
        ):
            shown = photos.setdefault(attachment.post_id, [])
            if len(shown) < PHOTOS_PER_CHAPTER:
                shown.append(Photo(attachment))
    tried = _tried(ids)
    result = []
    for number, thread in enumerate(threads, start=1):
        opening = openings.get(thread.id)
        sections = [
            (str(section.label), _section_html(thread, section))
            for section in PRACTICE_SECTIONS
            if getattr(thread, section.name) not in (None, "")
        ]
        result.append(
            Chapter(
                number,
                thread,
                opening,
                sections,
                photos.get(opening.id, []) if opening else [],
                tried.get(thread.id, []),
            )
        )
    return result


def _section_html(thread: Thread, section) -> Markup:
    """A section as the book prints it; the participants' count in its place among them."""
    if section.is_number:
        return Markup("<p>{}</p>").format(getattr(thread, section.name))
    return thread.section_html(section.name)


STATUS_ORDER = {"running": 0, "trying": 1, "planned": 2, "stopped": 3}


def _tried(ids: list[int]) -> dict[int, list[Tried]]:
    """Each practice's adoptions whose story is public (a hidden story hides its adoption)."""
    if not ids:
        return {}
    rows = db.session.scalars(
        sa.select(Adoption)
        .outerjoin(Post, Post.id == Adoption.post_id)
        .where(Adoption.practice_id.in_(ids))
        .where(
            sa.or_(
                Adoption.post_id.is_(None),
                Post.is_public,
            )
        )
        .options(so.joinedload(Adoption.library))
    )
    tried: dict[int, list[Tried]] = {}
    for row in sorted(rows, key=lambda a: (STATUS_ORDER.get(a.status, 9), a.id)):
        tried.setdefault(row.practice_id, []).append(
            Tried(
                row.library.name,
                regions().regency_name(row.regency),
                str(STATUS_LABELS.get(row.status, row.status)),
                row.started_on,
                row.result,
                row.participants,
            )
        )
    return tried


def by_regency(book: list[Chapter], no_region: str) -> list[tuple[str, list[Chapter]]]:
    """The index: each kabupaten/kota (alphabetical) with its chapters; ``no_region`` last."""
    groups: dict[str, list[Chapter]] = {}
    for chapter in book:
        groups.setdefault(chapter.regency_name, []).append(chapter)
    named = sorted(
        ((name, chapters) for name, chapters in groups.items() if name),
        key=lambda item: item[0].lower(),
    )
    return named + ([(no_region, groups[""])] if "" in groups else [])


# --- PDF ----------------------------------------------------------------------------


class _Blocks(HTMLParser):
    """Stored (sanitized) HTML as plain blocks: ("p" | "li" | "h", text)."""

    BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr"}

    def __init__(self):
        super().__init__()
        self.blocks: list[tuple[str, str]] = []
        self.kind = "p"
        self.text: list[str] = []

    def _flush(self):
        text = re.sub(r"\s+", " ", "".join(self.text)).strip()
        if text:
            self.blocks.append((self.kind, text))
        self.text = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self._flush()
            self.kind = "li" if tag == "li" else "h" if tag.startswith("h") else "p"
        elif tag == "br":
            self.text.append(" ")
        elif tag in ("td", "th"):
            self.text.append(" | ")

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self._flush()
            self.kind = "p"

    def handle_data(self, data):
        self.text.append(data)


def html_blocks(html: str) -> list[tuple[str, str]]:
    parser = _Blocks()
    parser.feed(str(html))
    parser.close()
    parser._flush()
    return parser.blocks


# Typographic punctuation the built-in fonts lack, written as the keyboard would.
_PUNCTUATION = str.maketrans(
    {
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2022": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
        "\u00a0": " ",
        "\u20ac": "EUR",
    }
)


def pdf_text(text: str) -> str:
    """Text the PDF's built-in fonts can draw (Latin-1): other characters are dropped.

    Indonesian is written in Latin letters, so only symbols and emoji are lost; a
    Unicode TrueType font would need a font file the project does not ship.
    """
    text = unicodedata.normalize("NFC", str(text).translate(_PUNCTUATION))
    return text.encode("latin-1", "ignore").decode("latin-1")


def photo_source(inline: bool) -> Callable[[Photo], str]:
    """How the HTML page points at a photo: its thumbnail's address, or the bytes inside."""
    if inline:
        return Photo.data_uri
    from flask import url_for

    return lambda photo: url_for("attachments.thumb", attachment_id=photo.attachment.id)
