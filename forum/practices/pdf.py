"""The book of good practices drawn as an A4 PDF with fpdf2 (pure Python; Pillow reads photos)."""

from __future__ import annotations

import math
from io import BytesIO

from fpdf import FPDF
from fpdf.enums import XPos
from fpdf.enums import YPos
from PIL import Image

from ..i18n import local_date
from .compilation import Chapter
from .compilation import Selection
from .compilation import by_regency
from .compilation import html_blocks
from .compilation import pdf_text

FONT = "Helvetica"  # built in: no font file to ship
GREEN = (31, 107, 74)
GREY = (90, 90, 90)
PHOTO_WIDTH = 86  # mm: two photos side by side in the 180 mm text width
PHOTO_MAX_HEIGHT = 70
JPEG_QUALITY = 80
TOC_LINES_PER_PAGE = 36  # 6 mm a line under the heading: always fits, so the count is exact


def _jpeg(data: bytes) -> BytesIO:
    """The WebP thumbnail as a JPEG: embedded as it is (DCT), where fpdf2 would store
    a WebP's decoded pixels (a 400 px photo: 360 KB instead of about 25 KB)."""
    with Image.open(BytesIO(data)) as image:
        out = BytesIO()
        image.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY)
    out.seek(0)
    return out


class BookPdf(FPDF):
    def __init__(self, labels: dict[str, str]):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.labels = labels
        self.set_margins(15, 18, 15)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(pdf_text(labels["title"]))
        self.set_creator("Serambi")
        self.in_body = False
        self.fresh_page = False

    def footer(self):
        if not self.in_body:
            return
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.set_text_color(*GREY)
        self.cell(0, 5, pdf_text(f"{self.labels['title']} - {self.page_no()}"), align="C")

    def _lines(self, text: str, width: float) -> list[str]:
        """``text`` broken into lines of at most ``width`` mm, word by word.

        fpdf2's multi_cell measures the growing line again at every character
        (about 0.1 s for a practice's text); words measured once each are 20x faster.
        """
        widths = self.current_font.cw  # the built-in font's widths, in 1/1000 of the size
        scale = self.font_size / 1000  # font_size: in mm

        def measure(word: str) -> float:
            return sum(widths.get(c, 600) for c in word) * scale

        space = measure(" ")
        lines: list[str] = []
        line: list[str] = []
        used = 0.0
        for word in text.split():
            size = measure(word)
            if line and used + space + size > width:
                lines.append(" ".join(line))
                line, used = [], 0.0
            while size > width:  # a word longer than a line (an address): cut it
                cut = max(1, int(len(word) * width / size))
                while cut > 1 and measure(word[:cut]) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
                size = measure(word)
            used += (space if line else 0.0) + size
            line.append(word)
        if line:
            lines.append(" ".join(line))
        return lines

    def _text(
        self,
        size: float,
        text: str,
        style: str = "",
        height: float | None = None,
        indent: float = 0.0,
    ):
        self.set_font(FONT, style, size)
        width = self.w - self.l_margin - self.r_margin - indent
        for line in self._lines(pdf_text(text), width):
            self.set_x(self.l_margin + indent)
            self.cell(width, height or size * 0.5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def build(self, selection: Selection, book: list[Chapter]) -> bytes:
        self._cover(selection, book)
        if book:
            self.add_page()
            self.in_body = True
            pages = math.ceil((len(book) + 1) / TOC_LINES_PER_PAGE)  # the chapters, the index
            self.insert_toc_placeholder(self._contents, pages=pages)
            self.fresh_page = True  # the placeholder moved on to a new page already
        for chapter in book:
            self._chapter(chapter)
        if book:
            self._index(book)
        return bytes(self.output())

    def _cover(self, selection: Selection, book: list[Chapter]):
        self.add_page()
        self.set_fill_color(*GREEN)
        self.rect(self.l_margin, 70, 40, 3, style="F")  # the same green rule as the HTML cover
        self.set_y(80)
        self.set_text_color(*GREEN)
        self._text(28, self.labels["title"], "B", 13)
        self.ln(6)
        self.set_text_color(0, 0, 0)
        self._text(14, self.labels["subtitle"], "", 8)
        self.ln(10)
        self.set_text_color(*GREY)
        for line in self.labels["cover_lines"]:
            self._text(11, line, "", 6)

    def _contents(self, pdf, outline):
        pdf.set_text_color(*GREEN)
        pdf._text(18, self.labels["contents"], "B", 10)
        pdf.ln(3)
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(FONT, "", 10)
        entries = [entry for entry in outline if entry.level == 0]
        for number, entry in enumerate(entries):
            if number and number % TOC_LINES_PER_PAGE == 0:
                pdf.add_page()
            name = pdf_text(entry.name)
            if len(name) > 90:
                name = name[:88] + "..."
            pdf.cell(165, 6, name, new_x=XPos.RIGHT, new_y=YPos.TOP)
            pdf.cell(0, 6, str(entry.page_number), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def _heading(self, text: str, size: float = 12):
        self.ln(2)
        self.set_text_color(*GREEN)
        self._text(size, text, "B", size * 0.55)
        self.set_text_color(0, 0, 0)

    def _html(self, html: str):
        previous = None
        for kind, text in html_blocks(html):
            if previous == "li" and kind != "li":
                self.ln(1.5)  # the end of a list
            if kind == "h":
                self._text(10.5, text, "B", 5.5)
            elif kind == "li":
                self._text(10, "- " + text, "", 5, indent=4)
            else:
                self._text(10, text, "", 5)
                self.ln(1.5)
            previous = kind

    def _chapter(self, chapter: Chapter):
        thread = chapter.thread
        if self.fresh_page:  # the first chapter, on the page after the contents
            self.fresh_page = False
        else:
            self.add_page()
        title = f"{chapter.number}. {thread.title}"
        self.start_section(pdf_text(title), level=0)
        self.set_text_color(*GREEN)
        self._text(17, title, "B", 8)
        self.set_text_color(*GREY)
        where = [thread.library.name if thread.library else "", chapter.regency_name]
        by = f"{thread.author.display_name} · {local_date(thread.created_at)}"
        self._text(9.5, " · ".join(part for part in [*where, by] if part), "", 5)
        self.set_text_color(0, 0, 0)
        verification = chapter.verification
        if verification is not None:
            self.ln(2)
            self.set_fill_color(232, 244, 236)
            self.set_font(FONT, "B", 10)
            line = self.labels["verified_by"].format(
                name=verification.verified_by.display_name,
                date=local_date(verification.verified_at),
            )
            self.multi_cell(0, 6, pdf_text(line), fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self._html(verification.html)
        if chapter.opening is not None:
            self.ln(2)
            self._html(chapter.opening.html)
        for label, html in chapter.sections:
            self._heading(label)
            self._html(html)
        self._photos(chapter)
        if chapter.adoptions:  # a heading over "nobody yet" in most chapters was clutter
            self._heading(self.labels["adoptions"])
        for tried in chapter.adoptions:
            line = (
                f"{tried.library}, {tried.regency}: {tried.status}"
                if tried.regency
                else (f"{tried.library}: {tried.status}")
            )
            line += " - " + self.labels["since"].format(day=local_date(tried.started_on))
            if tried.participants is not None:
                line += " - " + self.labels["participants_count"].format(num=tried.participants)
            self._text(10, line, "B", 5)
            if tried.result:
                self._text(10, tried.result, "", 5, indent=4)
            self.ln(1)

    def _photos(self, chapter: Chapter):
        if not chapter.photos:
            return
        first = chapter.photos[0].attachment
        first_height = min(
            PHOTO_WIDTH * (first.thumb_height or 3) / (first.thumb_width or 4), PHOTO_MAX_HEIGHT
        )
        if self.get_y() + 12 + first_height + 8 > self.h - self.b_margin:
            self.add_page()  # the heading stays with its photos
        self._heading(self.labels["photos"])
        x0 = self.l_margin
        for index, photo in enumerate(chapter.photos):
            attachment = photo.attachment
            ratio = (attachment.thumb_height or 3) / (attachment.thumb_width or 4)
            width = PHOTO_WIDTH
            height = min(width * ratio, PHOTO_MAX_HEIGHT)
            width = height / ratio
            column = index % 2
            if column == 0:
                if self.get_y() + height + 8 > self.h - self.b_margin:
                    self.add_page()
                row_y = self.get_y()
            x = x0 + column * (PHOTO_WIDTH + 8)
            self.image(_jpeg(photo.data()), x=x, y=row_y, w=width, h=height)
            self.set_xy(x, row_y + height + 0.5)
            self.set_font(FONT, "", 8)
            self.set_text_color(*GREY)
            caption = pdf_text(photo.caption)[:60]
            self.cell(PHOTO_WIDTH, 4, caption)
            self.set_text_color(0, 0, 0)
            if column == 1 or index == len(chapter.photos) - 1:
                self.set_xy(x0, row_y + height + 6)

    def _index(self, book: list[Chapter]):
        self.add_page()
        self.start_section(pdf_text(self.labels["index"]), level=0)
        self.set_text_color(*GREEN)
        self._text(18, self.labels["index"], "B", 10)
        self.set_text_color(0, 0, 0)
        for regency, chapters in by_regency(book, self.labels["no_region"]):
            self._heading(regency, 12)
            for chapter in chapters:
                self._text(10, f"{chapter.number}. {chapter.thread.title}", "", 5)


def render_pdf(selection: Selection, book: list[Chapter], labels: dict[str, str]) -> bytes:
    """The book as an A4 PDF: cover, contents, a chapter per practice, index by kabupaten."""
    return BookPdf(labels).build(selection, book)
