"""What a file really is, judged by its content, never by its name or the browser's claim.

Images are recognised by their magic bytes (Pillow then decodes them, see
:mod:`.images`); a PDF must start with ``%PDF-`` and open in pdfium; office
files are ZIPs that must carry their own format's markers, stay within bounds
on entries and uncompressed size (read, not trusted from the headers), and
never hold macros. Everything else (archives, executables, SVG, HTML) is refused.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

MAX_ZIP_ENTRIES = 1000
MAX_ZIP_UNCOMPRESSED = 100 * 1024 * 1024
MAX_ZIP_RATIO = 200  # a real office file compresses far less than a zip bomb
ZIP_READ_CHUNK = 64 * 1024


class Rejected(ValueError):
    """A file refused, with the reason to show the member."""

    def __init__(self, reason, limit: str | None = None):
        super().__init__(str(reason))
        self.reason = reason
        self.limit = limit  # "time", "memory" or "crash" when a checking limit refused it

    def __reduce__(self):
        # Crosses the pipe from the checking child with its reason still lazy, so the
        # parent shows it in the member's language.
        return (type(self), (self.reason, self.limit))


@dataclass(frozen=True)
class FileType:
    kind: str  # "image" or "document"
    content_type: str
    extension: str
    label: str  # shown next to a document link: "PDF", "Word", ...


JPEG = FileType("image", "image/jpeg", "jpg", "JPEG")
PNG = FileType("image", "image/png", "png", "PNG")
WEBP = FileType("image", "image/webp", "webp", "WebP")
HEIC = FileType("image", "image/heic", "jpg", "HEIC")  # stored re-encoded as JPEG
PDF = FileType("document", "application/pdf", "pdf", "PDF")
DOCX = FileType(
    "document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "docx",
    "Word",
)
XLSX = FileType(
    "document", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "Excel"
)
PPTX = FileType(
    "document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pptx",
    "PowerPoint",
)
ODT = FileType("document", "application/vnd.oasis.opendocument.text", "odt", "OpenDocument")
TYPES_BY_CONTENT_TYPE = {t.content_type: t for t in (JPEG, PNG, WEBP, PDF, DOCX, XLSX, PPTX, ODT)}

# OOXML: the main part each format must have, and the content type it declares.
OOXML_MAIN_PARTS = {
    "word/document.xml": (DOCX, b"wordprocessingml.document.main+xml"),
    "xl/workbook.xml": (XLSX, b"spreadsheetml.sheet.main+xml"),
    "ppt/presentation.xml": (PPTX, b"presentationml.presentation.main+xml"),
}
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
EXECUTABLE_MAGIC = (
    b"MZ",  # Windows
    b"\x7fELF",  # Linux
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # macOS
    b"#!",  # scripts
    b"dex\n",  # Android
)
ARCHIVE_MAGIC = (
    b"Rar!",
    b"7z\xbc\xaf",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ",
    b"MSCF",
    b"\xd0\xcf\x11\xe0",  # old Office (.doc/.xls), which carries macros unchecked
)


def heic_supported() -> bool:
    try:
        import pillow_heif  # noqa: F401
    except ImportError:
        return False
    return True


# A ZIP that may be an office file: only :func:`office_type` (which unpacks it) can tell.
ZIP_CANDIDATE = FileType("document", "application/zip", "zip", "ZIP")


def sniff(data: bytes) -> FileType:
    """The file's type from its first bytes (and, for a ZIP, its entries); or :class:`Rejected`."""
    file_type = sniff_header(data)
    return office_type(data) if file_type is ZIP_CANDIDATE else file_type


def sniff_header(data: bytes) -> FileType:
    """The file's type from its first bytes alone, without unpacking anything: cheap enough
    to run outside the bounded child. A ZIP comes back as :data:`ZIP_CANDIDATE`."""
    head = data[:64]
    if not data:
        raise Rejected(_l("The file is empty."))
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        if heic_supported():
            return HEIC
        raise Rejected(_l("HEIC photos are not supported here: send it as JPEG."))
    if head.startswith(b"%PDF-"):
        return _check_pdf_container(data)
    if head.startswith(b"PK\x03\x04"):
        return ZIP_CANDIDATE
    if head.startswith(EXECUTABLE_MAGIC):
        raise Rejected(_l("Programs and scripts cannot be attached."))
    if head.startswith(ARCHIVE_MAGIC) or head.startswith(b"PK"):
        raise Rejected(_l("Archives cannot be attached: attach the files themselves."))
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<", b"<?xml", b"<svg", b"<!doctype")):
        raise Rejected(_l("SVG images and web pages cannot be attached: use JPEG or PNG."))
    raise Rejected(
        _l(
            "This kind of file is not accepted. Attach photos (JPEG, PNG, WebP) or documents "
            "(PDF, DOCX, XLSX, PPTX, ODT)."
        )
    )


def _check_pdf_container(data: bytes) -> FileType:
    """A PDF that is also a ZIP (a polyglot) would be another file to other programs."""
    if b"PK\x05\x06" in data[-66_000:] or b"PK\x03\x04" in data[:1024]:
        raise Rejected(_l("This PDF also contains an archive, so it cannot be attached."))
    return PDF


def _read_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> int:
    """Decompress one entry, counting real bytes (headers can lie); returns what is left."""
    with archive.open(info) as entry:
        while chunk := entry.read(ZIP_READ_CHUNK):
            budget -= len(chunk)
            if budget < 0:
                raise Rejected(_l("This file unpacks to far more than its size, so it is refused."))
    return budget


def office_type(data: bytes) -> FileType:
    """DOCX, XLSX, PPTX or ODT, judged by the ZIP's own markers; macros and bombs refused."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise Rejected(_l("The file is damaged: it cannot be opened.")) from None
    with archive:
        if len(infos) > MAX_ZIP_ENTRIES:
            raise Rejected(_l("This document has too many parts, so it is refused."))
        names = {info.filename for info in infos}
        declared = sum(info.file_size for info in infos)
        if declared > MAX_ZIP_UNCOMPRESSED or declared > MAX_ZIP_RATIO * max(len(data), 1):
            raise Rejected(_l("This file unpacks to far more than its size, so it is refused."))
        lowered = [name.lower() for name in names]
        if any(
            name.endswith("vbaproject.bin") or name.startswith(("basic/", "scripts/"))
            for name in lowered
        ):
            raise Rejected(_l("Documents with macros cannot be attached: save it without macros."))
        if any(name.endswith(".bin") for name in lowered):
            # Embedded OLE objects can carry programs, and nothing here can check them.
            raise Rejected(_l("Documents with embedded objects cannot be attached."))
        budget = MAX_ZIP_UNCOMPRESSED
        try:
            for info in infos:
                if info.flag_bits & 0x1:
                    raise Rejected(_l("Password-protected files cannot be attached."))
                budget = _read_bounded(archive, info, budget)
            file_type = _ooxml_type(archive, names) or _odf_type(archive, infos)
        except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError):
            raise Rejected(_l("The file is damaged: it cannot be opened.")) from None
    if file_type is None:
        raise Rejected(_l("Archives cannot be attached: attach the files themselves."))
    return file_type


def _ooxml_type(archive: zipfile.ZipFile, names: set[str]) -> FileType | None:
    if "[Content_Types].xml" not in names:
        return None
    content_types = archive.read("[Content_Types].xml")
    if b"macroEnabled" in content_types or b"vbaProject" in content_types:
        raise Rejected(_l("Documents with macros cannot be attached: save it without macros."))
    for part, (file_type, marker) in OOXML_MAIN_PARTS.items():
        if part in names and marker in content_types:
            return file_type
    return None


def _odf_type(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> FileType | None:
    # ODF's rule: the first entry is "mimetype", stored uncompressed, naming the format.
    first = infos[0] if infos else None
    if first is None or first.filename != "mimetype" or first.compress_type != zipfile.ZIP_STORED:
        return None
    mimetype = archive.read(first).strip()
    if mimetype == ODT.content_type.encode() and "content.xml" in archive.namelist():
        return ODT
    return None
