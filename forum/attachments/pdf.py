"""PDFs through pdfium (pypdfium2): proof that the file opens, page 1 as a preview, text for search.

pdfium never runs a PDF's JavaScript; a PDF it cannot open is refused. A page can
take pdfium minutes and gigabytes to draw, so the app calls this only inside the
bounded child process (:mod:`.prepare`), which stops it at its CPU and memory limits.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pypdfium2 as pdfium
from flask_babel import lazy_gettext as _l
from PIL import Image

from .images import Encoded
from .images import thumbnail
from .inspect import Rejected

MAX_PAGES_FOR_TEXT = 3
MAX_TEXT = 20_000
# pdfium is not thread-safe: one document at a time per process (gthread workers).
_PDFIUM = threading.Lock()


@dataclass(frozen=True)
class PdfFacts:
    pages: int
    text: str
    preview: Encoded | None


def read_pdf(data: bytes, *, preview_side: int) -> PdfFacts:
    """Open the PDF, render page 1 small and extract the first pages' text."""
    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError:
            raise Rejected(
                _l("This PDF is damaged, protected by a password, or not a PDF.")
            ) from None
        try:
            pages = len(document)
            if pages == 0:
                raise Rejected(_l("This PDF has no pages."))
            texts = []
            for index in range(min(pages, MAX_PAGES_FOR_TEXT)):
                page = document[index]
                textpage = page.get_textpage()
                texts.append(textpage.get_text_range())
                textpage.close()
                if index == 0:
                    preview = _render_first_page(page, preview_side)
                page.close()
        finally:
            document.close()
    text = " ".join(" ".join(texts).split())[:MAX_TEXT]
    return PdfFacts(pages=pages, text=text, preview=preview)


def _render_first_page(page, side: int) -> Encoded | None:
    width, height = page.get_size()
    if width <= 0 or height <= 0:
        return None
    scale = min(side / max(width, height), 4.0)
    bitmap = page.render(scale=scale)
    try:
        image: Image.Image = bitmap.to_pil()
        return thumbnail(image.convert("RGB"), side)
    finally:
        bitmap.close()
