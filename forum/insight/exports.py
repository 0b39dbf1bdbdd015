"""Exports for programme reports: the dashboard's figures and the rows behind them.

CSV streams row by row from a generator; XLSX is written with openpyxl's
write-only mode into a temporary file, then sent. Rows come from the database
with ``yield_per``, so neither format holds the whole export in memory.

Personal data (UU 27/2022): exports carry display names, libraries and
regions, never e-mail addresses, usernames or anything else about a member, and
e-mail addresses typed into titles or meeting fields are masked. Text cells
that a spreadsheet would run as a formula get a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Iterable
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from ..extensions import db
from ..models import Library
from ..models import Post
from ..models import Tag
from ..models import Thread
from ..models import User
from ..models import thread_tags
from ..partners.figures import support_figures
from ..regions import regions
from ..sections import SECTIONS
from ..urls import external_url
from . import figures
from . import spread
from .models import Meeting
from .texts import MEETING_KIND_LABELS

TABLES = ("figures", "threads", "practices", "adoptions", "meetings")
# The practice report's sections, as the practices table's last columns.
PRACTICE_SECTIONS = tuple(section for section in SECTIONS if section.kind == "practice")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BATCH = 500
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")


def safe_text(value: str) -> str:
    """Mask e-mail addresses and defuse a leading formula character."""
    value = _EMAIL.sub("[e-mail]", value)
    return "'" + value if value.startswith(_FORMULA_START) else value


class Cells:
    """Turns database values into export cells in the viewer's time zone."""

    def __init__(self, timezone: str):
        self.zone = ZoneInfo(timezone)

    def __call__(self, value):
        if isinstance(value, str):
            return safe_text(value)
        if isinstance(value, datetime):
            # Spreadsheets have no time zones: local wall-clock time, to the minute.
            return value.astimezone(self.zone).replace(tzinfo=None, second=0, microsecond=0)
        return value


# --- the tables ------------------------------------------------------------------------


def figure_rows(period: figures.Period) -> list[tuple]:
    """(section, label, value) rows: the headline figures, tags, regions and weeks."""
    summary = figures.summary(period)

    def hours(seconds):
        return round(seconds / 3600, 1) if seconds is not None else None

    share = summary.solved_share
    section = _("Period")
    rows: list[tuple] = [
        (section, _("From"), period.start.isoformat()),
        (section, _("To"), period.end.isoformat()),
        (section, _("Region"), period.region.name or _("All regions")),
    ]
    section = _("Figures")
    rows += [
        (section, _("New members"), summary.new_members),
        (section, _("Active libraries"), summary.active_libraries),
        (section, _("Best practices posted"), summary.practices),
        (section, _("Challenges posted"), summary.challenges),
        (section, _("Replies"), summary.replies),
        (section, _("Challenges solved"), summary.solved),
        (section, _("Challenges solved (%)"), round(share * 100, 1) if share is not None else None),
        (section, _("Median hours to the first reply"), hours(summary.median_first_reply)),
        (section, _("Median hours to solved"), hours(summary.median_solved)),
        (section, _("Unanswered challenges"), summary.unanswered),
        (section, _("Meetings"), summary.meetings),
        (section, _("Meeting participants"), summary.participants),
    ]
    section = _("Threads per tag")
    rows += [(section, f"#{name}", count) for name, count in figures.top_tags(period)]
    section = _("Challenges solved by region (%)")
    rows += [
        (section, f"{share.name} ({share.challenges})", round(share.share * 100, 1))
        for share in figures.solved_by_region(period)
    ]
    rows.append((_("Figures"), _("Libraries gone quiet"), summary.quiet_total))
    rows += spread_rows(period)
    rows += support_rows(period)
    for bucket in figures.weekly(period):
        week = bucket.label.isoformat()
        rows += [
            (_("Best practices per week"), week, bucket.practices),
            (_("Challenges per week"), week, bucket.challenges),
            (_("Replies per week"), week, bucket.replies),
        ]
    return rows


def spread_rows(period: figures.Period) -> list[tuple]:
    """How practices spread: adoptions, practices tried elsewhere, kabupaten reached, months."""
    counts = spread.spread(period)
    section = _("Spread of practices")
    rows: list[tuple] = [
        (section, _("Adoptions recorded (planned ones too)"), counts.adoptions),
        (section, _("Practices tried by another library"), counts.practices),
        (section, _("Kabupaten/kota reached"), counts.regencies),
    ]
    section = _("Most tried practices (libraries, kabupaten/kota)")
    rows += [
        (section, practice.title, f"{practice.libraries}, {practice.regencies}")
        for practice in counts.top
    ]
    rows += [
        (_("Adoptions per month"), month.isoformat(), count)
        for month, count in spread.monthly(period)
    ]
    return rows


def support_rows(period: figures.Period) -> list[tuple]:
    """Needs posted and offers made, accepted and delivered: in all, per kind, per region."""
    support = support_figures(period)
    rows: list[tuple] = []
    for section, attribute in (
        (_("Support needs posted"), "needs"),
        (_("Offers of support made"), "offers"),
        (_("Offers accepted"), "accepted"),
        (_("Offers delivered"), "delivered"),
    ):
        rows.append((section, _("All kinds"), getattr(support.total, attribute)))
        for row in (*support.by_kind, *support.by_region):
            rows.append((section, str(row.name), getattr(row, attribute)))
    return rows


def figure_header() -> list[str]:
    return [_("Section"), _("Figure"), _("Value")]


def thread_header(kind: str | None) -> list[str]:
    header = [
        _("Thread"),
        _("Kind"),
        _("Title"),
        _("Author"),
        _("Library"),
        _("Kabupaten/kota"),
        _("Province"),
        _("Posted"),
        _("Replies"),
        _("Tags"),
        _("Address"),
    ]
    if kind != "practice":
        header[9:9] = [_("First reply by another member"), _("Solved"), _("Solved at")]
    else:
        header += [str(section.label) for section in PRACTICE_SECTIONS]
    return header


def thread_rows(period: figures.Period, kind: str | None = None) -> Iterator[list]:
    """The period's public threads (or one kind), oldest first, streamed from the database."""
    replies = (
        sa.select(sa.func.count(Post.id))
        .where(Post.thread_id == Thread.id, figures.public_reply())
        .correlate(Thread)
        .scalar_subquery()
    )
    first_reply = figures.first_reply_at()
    tags = (
        sa.select(sa.func.aggregate_strings(Tag.name, ", "))
        .join(thread_tags, thread_tags.c.tag_id == Tag.id)
        .where(thread_tags.c.thread_id == Thread.id)
        .correlate(Thread)
        .scalar_subquery()
    )
    query = (
        sa.select(
            Thread.id,
            Thread.kind,
            Thread.title,
            User.display_name,
            Library.name,
            Thread.regency,
            Thread.province,
            Thread.created_at,
            replies,
            first_reply,
            Thread.accepted_post_id,
            Thread.solved_at,
            tags,
            *(getattr(Thread, section.name) for section in PRACTICE_SECTIONS),
        )
        .join(User, User.id == Thread.author_id)
        .outerjoin(Library, Library.id == Thread.library_id)
        .where(*period.threads(kind))
        .order_by(Thread.created_at, Thread.id)
        .execution_options(yield_per=BATCH)
    )
    kinds = {"practice": _("Best practice"), "challenge": _("Challenge")}
    for row in db.session.execute(query):
        out = [
            row.id,
            kinds[row.kind],
            row.title,
            row.display_name,
            row.name or "",
            regions().regency_name(row.regency),
            regions().province_name(row.province),
            row.created_at,
            row[8],
            row[12] or "",
            external_url("threads.detail", thread_id=row.id),
        ]
        if kind != "practice":
            solved = row.solved_at is not None
            out[9:9] = [row[9], _("yes") if solved else _("no"), row.solved_at]
        else:
            out += [getattr(row, section.name) for section in PRACTICE_SECTIONS]
        yield out


def meeting_header() -> list[str]:
    return [
        _("Meeting"),
        _("Kind"),
        _("Title"),
        _("First day"),
        _("Last day"),
        _("Place"),
        _("Kabupaten/kota"),
        _("Province"),
        _("Participants"),
        _("Speakers"),
        _("Linked threads"),
        _("Address"),
    ]


def meeting_rows(period: figures.Period) -> Iterator[list]:
    query = (
        sa.select(Meeting)
        .where(*period.meetings())
        .order_by(Meeting.starts_on, Meeting.id)
        .execution_options(yield_per=BATCH)
    )
    for meeting in db.session.scalars(query):
        yield [
            meeting.id,
            str(MEETING_KIND_LABELS[meeting.kind]),
            meeting.title,
            meeting.starts_on,
            meeting.ends_on,
            meeting.place,
            regions().regency_name(meeting.regency),
            regions().province_name(meeting.province),
            meeting.participants,
            meeting.speakers,
            meeting.thread_count,
            external_url("meetings.detail", meeting_id=meeting.id),
        ]


def table(name: str, period: figures.Period) -> tuple[list[str], Iterable[list]]:
    """The header and rows of export table ``name`` (one of TABLES)."""
    if name == "figures":
        return figure_header(), figure_rows(period)
    if name == "threads":
        return thread_header(None), thread_rows(period)
    if name == "practices":
        return thread_header("practice"), thread_rows(period, "practice")
    if name == "adoptions":
        return spread.adoption_header(), spread.adoption_rows(period)
    return meeting_header(), meeting_rows(period)


def table_titles() -> dict[str, str]:
    """Sheet names (Excel allows 31 characters)."""
    return {
        "figures": _("Figures"),
        "threads": _("Threads"),
        "practices": _("Best practices"),
        "adoptions": _("Adoptions"),
        "meetings": _("Meetings"),
    }


# --- the formats -------------------------------------------------------------------


def csv_stream(header: list[str], rows: Iterable[list], timezone: str) -> Iterator[str]:
    """CSV text in chunks: a BOM (so spreadsheets read UTF-8), the header, then the rows."""
    cell = Cells(timezone)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_text(str(title)) for title in header])
    yield "\ufeff" + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    for count, row in enumerate(rows, 1):
        writer.writerow([_csv_value(cell(value)) for value in row])
        if count % 100 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value


def xlsx_file(period: figures.Period, timezone: str):
    """A workbook with one sheet per table, in an anonymous temporary file (rewound)."""
    cell = Cells(timezone)
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    titles = table_titles()
    for name in TABLES:
        sheet = workbook.create_sheet(titles[name][:31])
        header, rows = table(name, period)
        for letter, title in zip("ABCDEFGHIJKLMNOPQRSTU", header, strict=False):
            sheet.column_dimensions[letter].width = _width(str(title))
        sheet.freeze_panes = "A2"
        heading = []
        for title in header:
            head = WriteOnlyCell(sheet, value=safe_text(str(title)))
            head.font = bold
            heading.append(head)
        sheet.append(heading)
        for row in rows:
            sheet.append([_xlsx_value(sheet, cell(value)) for value in row])
    output = tempfile.TemporaryFile(suffix=".xlsx")
    workbook.save(output)
    output.seek(0)
    return output


def _xlsx_value(sheet, value):
    if isinstance(value, datetime):
        stamp = WriteOnlyCell(sheet, value=value)
        stamp.number_format = "yyyy-mm-dd hh:mm"
        return stamp
    return value


def _width(title: str) -> int:
    if title in (_("Title"), _("Figure")):
        return 50
    if title in (_("Address"), _("Section")):
        return 40
    return max(12, len(title) + 2)
