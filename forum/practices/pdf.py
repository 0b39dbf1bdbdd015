"""The book of good practices drawn as an A4 PDF with fpdf2 (pure Python; Pillow reads photos)."""

from __future__ import annotations

import math
from io import BytesIO

from fpdf import FPDF
from fpdf.enums import XPos
from fpdf.enums import YPos

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
TOC_LINES_PER_PAGE = 40


class BookPdf(FPDF):
    def __init__(self, labels: dict[str, str]):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.labels = labels
        self.set_margins(15, 18, 15)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(pdf_text(labels["title"]))
        self.set_creator("Serambi")
        self.in_body = False

    def footer(self):
        if not self.in_body:
            return
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.set_text_color(*GREY)
        self.cell(0, 5, pdf_text(f"{self.labels['title']} - {self.page_no()}"), align="C")

    def _text(self, size: float, text: str, style: str = "", height: float | None = None):
        self.set_x(self.l_margin)
        self.set_font(FONT, style, size)
        self.multi_cell(
            0, height or size * 0.5, pdf_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    def build(self, selection: Selection, book: list[Chapter]) -> bytes:
        self._cover(selection, book)
        if book:
            self.add_page()
            self.in_body = True
            pages = max(1, math.ceil((len(book) + 2) / TOC_LINES_PER_PAGE))
            self.insert_toc_placeholder(self._contents, pages=pages)
        for chapter in book:
            self._chapter(chapter)
        if book:
            self._index(book)
        return bytes(self.output())

    def _cover(self, selection: Selection, book: list[Chapter]):
        self.add_page()
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
        for entry in outline:
            if entry.level != 0:
                continue
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
        for kind, text in html_blocks(html):
            if kind == "h":
                self._text(10.5, text, "B", 5.5)
            elif kind == "li":
                self.set_x(self.l_margin + 4)
                self.set_font(FONT, "", 10)
                self.multi_cell(0, 5, pdf_text("- " + text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            else:
                self._text(10, text, "", 5)
                self.ln(1.5)

    def _chapter(self, chapter: Chapter):
        thread = chapter.thread
        self.add_page()
        title = f"{chapter.number}. {thread.title}"
        self.start_section(pdf_text(title), level=0)
        self.set_text_color(*GREEN)
        self._text(17, title, "B", 8)
        self.set_text_color(*GREY)
        where = [thread.library.name if thread.library else "", chapter.regency_name]
        by = f"{thread.author.display_name} · {thread.created_at:%d-%m-%Y}"
        self._text(9.5, " · ".join(part for part in [*where, by] if part), "", 5)
        self.set_text_color(0, 0, 0)
        verification = chapter.verification
        if verification is not None:
            self.ln(2)
            self.set_fill_color(232, 244, 236)
            self.set_font(FONT, "B", 10)
            line = self.labels["verified_by"].format(
                name=verification.verified_by.display_name,
                date=f"{verification.verified_at:%d-%m-%Y}",
            )
            self.multi_cell(0, 6, pdf_text(line), fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self._html(verification.html)
        if chapter.opening is not None:
            self.ln(2)
            self._html(chapter.opening.html)
        for label, html in chapter.sections:
            self._heading(label)
            self._html(html)
        if chapter.participants is not None:
            self._heading(self.labels["participants"])
            self._text(10, str(chapter.participants), "", 5)
        self._photos(chapter)
        self._heading(self.labels["adoptions"])
        self.set_text_color(*GREY)
        self._text(9.5, self.labels["no_adoptions"], "I", 5)
        self.set_text_color(0, 0, 0)

    def _photos(self, chapter: Chapter):
        if not chapter.photos:
            return
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
            self.image(BytesIO(photo.data()), x=x, y=row_y, w=width, h=height)
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
        for regency, chapters in by_regency(book):
            self._heading(regency, 12)
            for chapter in chapters:
                self._text(10, f"{chapter.number}. {chapter.thread.title}", "", 5)


def render_pdf(selection: Selection, book: list[Chapter], labels: dict[str, str]) -> bytes:
    """The book as an A4 PDF: cover, contents, a chapter per practice, index by kabupaten."""
    return BookPdf(labels).build(selection, book)
