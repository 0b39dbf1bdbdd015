"""Real files made for the attachment tests (helpers, no tests): photos with GPS, PDFs, office
files, and hostile ones."""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from functools import lru_cache

from PIL import ExifTags
from PIL import Image


def photo(
    size=(2400, 1800), *, orientation=None, gps=True, fmt="JPEG", seed=1, mode="RGB", detail=8
):
    """A photo-like image (gradients and noise, so it compresses like a photo) with EXIF GPS.

    ``detail``: noise every ``detail`` pixels, smoothed between; smaller is busier.
    """
    width, height = size
    rng = random.Random(seed)
    small_size = (max(1, width // detail), max(1, height // detail))
    noise = [
        Image.frombytes("L", small_size, rng.randbytes(small_size[0] * small_size[1]))
        for _ in range(3)
    ]
    across = Image.linear_gradient("L").rotate(90).resize(small_size)
    down = Image.linear_gradient("L").resize(small_size)
    bands = [Image.blend(across, noise[0], 0.4), Image.blend(down, noise[1], 0.4), noise[2]]
    if mode == "RGBA":
        bands.append(Image.new("L", small_size, 200))
    small = Image.merge(mode, bands)
    image = small.resize(size, Image.Resampling.BICUBIC)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "KameraHP"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        info = exif.get_ifd(ExifTags.IFD.GPSInfo)
        info[ExifTags.GPS.GPSLatitudeRef] = "S"
        info[ExifTags.GPS.GPSLatitude] = (6.0, 54.0, 12.5)
        info[ExifTags.GPS.GPSLongitudeRef] = "E"
        info[ExifTags.GPS.GPSLongitude] = (107.0, 36.0, 0.0)
    out = io.BytesIO()
    options = {"exif": exif}
    if fmt == "JPEG":
        options["quality"] = 90
    image.save(out, fmt, **options)
    return out.getvalue()


def pdf(text="Laporan kegiatan pojok baca"):
    """A small real PDF with one page of text (Helvetica), xref offsets computed."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _zip(entries, *, first_stored=None):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if first_stored:
            archive.writestr(zipfile.ZipInfo(first_stored[0]), first_stored[1])
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/{main}"/>'
    "{extra}</Types>"
)
MAIN_DOCX = "vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
MAIN_DOCM = "vnd.ms-word.document.macroEnabled.main+xml"


def docx(text="Rencana kegiatan literasi"):
    return _zip(
        {
            "[Content_Types].xml": CONTENT_TYPES.format(main=MAIN_DOCX, extra=""),
            "_rels/.rels": '<?xml version="1.0"?><Relationships/>',
            "word/document.xml": f"<w:document><w:body><w:p><w:r><w:t>{text}</w:t></w:r>"
            "</w:p></w:body></w:document>",
        }
    )


def docm():
    """A macro-enabled Word file (as Word saves one: vbaProject.bin, macroEnabled type)."""
    return _zip(
        {
            "[Content_Types].xml": CONTENT_TYPES.format(
                main=MAIN_DOCM,
                extra='<Default Extension="bin" '
                'ContentType="application/vnd.ms-office.vbaProject"/>',
            ),
            "_rels/.rels": '<?xml version="1.0"?><Relationships/>',
            "word/document.xml": "<w:document/>",
            "word/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"Attribute VB_Name" * 20,
        }
    )


def odt():
    return _zip(
        {"content.xml": "<office:document-content/>", "META-INF/manifest.xml": "<manifest/>"},
        first_stored=("mimetype", "application/vnd.oasis.opendocument.text"),
    )


@lru_cache
def zip_bomb():
    """A 'document' whose one entry unpacks to 300 MB of zeros (about 300 KB on disk)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES.format(main=MAIN_DOCX, extra=""))
        archive.writestr("word/document.xml", "<w:document/>")
        with archive.open("word/media/image1.png", "w", force_zip64=True) as entry:
            zeros = bytes(1024 * 1024)
            for _ in range(300):
                entry.write(zeros)
    return out.getvalue()


def plain_zip():
    return _zip({"foto1.jpg": photo((64, 48)), "catatan.txt": "daftar hadir"})


@lru_cache
def png_bomb(side=20_000):
    """A real decompression bomb: a valid PNG of side x side pixels, a few hundred KB."""
    raw = zlib.compressobj(9)
    row = bytes(side + 1)  # filter byte + one grey byte per pixel
    body = b"".join(raw.compress(row) for _ in range(side)) + raw.flush()

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(64) + b"PE\x00\x00"
LINUX_ELF = b"\x7fELF\x02\x01\x01" + bytes(57)
SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>"
)
HTML_PAGE = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


# --- hostile files: tiny bodies, huge claims, or content that is slow to open ---------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def pdf_with_contents(content: bytes, *, pages: int = 1) -> bytes:
    """A valid PDF whose pages share one Flate-compressed content stream."""
    packed = zlib.compress(content, 9)
    kids = " ".join(f"{4 + n} 0 R" for n in range(pages)).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream",
    ] + [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R >>"] * pages
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


@lru_cache
def pdf_slow_to_draw(repeats: int = 500_000) -> bytes:
    """Issue 14's PDF: one content stream repeating a drawing operator (a page-long line,
    stroked) hundreds of thousands of times; ~20 KB, minutes for pdfium to render."""
    return pdf_with_contents(b"0 0 m 612 792 l S\n" * repeats)


def pdf_of_pages(pages: int) -> bytes:
    return pdf_with_contents(b"BT ET\n", pages=pages)


def _small(fmt: str, **options) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 60)).save(out, fmt, **options)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A 64x48 PNG whose IHDR (CRC fixed) states another size."""
    data = _small("PNG")
    header = struct.pack(">II", width, height) + data[24:29]
    return data[:8] + _png_chunk(b"IHDR", header) + data[33:]


def jpeg_claiming(width: int, height: int) -> bytes:
    """A 64x48 JPEG whose frame header (SOF0) states another size."""
    data = bytearray(_small("JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp_claiming(width: int, height: int, *, kind: str = "VP8L") -> bytes:
    """A 64x48 WebP whose header states another size: lossless (VP8L, up to 16384 a side),
    lossy (VP8, up to 16383) or extended (VP8X: the canvas, up to 16777216)."""
    if kind == "VP8X":
        body = webp_claiming(64, 48, kind="VP8L")[12:]
        vp8x = b"VP8X" + struct.pack("<I", 10) + bytes(4)
        vp8x += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
        payload = b"WEBP" + vp8x + body
        return b"RIFF" + struct.pack("<I", len(payload)) + payload
    data = bytearray(_small("WEBP", lossless=kind == "VP8L"))
    assert data[12:16] == kind.encode().ljust(4)
    if kind == "VP8L":
        bits = int.from_bytes(data[21:25], "little") & ~((1 << 28) - 1)
        data[21:25] = (bits | (width - 1) | (height - 1) << 14).to_bytes(4, "little")
    else:
        data[26:30] = struct.pack("<HH", width, height)
    return bytes(data)


def heic_claiming(width: int, height: int) -> bytes:
    """A small HEIC whose image-size property ('ispe') states another size (square, so
    no clean-aperture box crops the size libheif reports)."""
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (90, 140, 60)).save(out, "HEIF")
    data = bytearray(out.getvalue())
    ispe = data.index(b"ispe")
    data[ispe + 8 : ispe + 16] = struct.pack(">II", width, height)
    return bytes(data)


@lru_cache
def png_bomb_within_cap(side: int = 5_000) -> bytes:
    """A valid RGBA PNG under the pixel cap (25 MP, 100 MB decoded) that is a few hundred KB."""
    raw = zlib.compressobj(9)
    row = bytes(side * 4 + 1)
    body = b"".join(raw.compress(row) for _ in range(side)) + raw.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", body)
        + _png_chunk(b"IEND", b"")
    )


def animated_webp(frames: int = 300) -> bytes:
    """An animated WebP of many different frames (only the first is kept)."""
    rng = random.Random(3)
    images = [Image.frombytes("L", (32, 24), rng.randbytes(32 * 24)).convert("RGB")]
    images += [Image.new("RGB", (32, 24), (n % 256, 255 - n % 256, 40)) for n in range(frames - 1)]
    out = io.BytesIO()
    images[0].save(out, "WEBP", save_all=True, append_images=images[1:], duration=40, lossless=True)
    return out.getvalue()


# --- work for the bounded child (importable, so a child process can run it) -------------------


def burn_cpu() -> None:
    """Loop on the CPU for ever, as a decoder stuck on a hostile file does."""
    while True:
        pass


def allocate(megabytes: int) -> int:
    """Hold ``megabytes`` of memory at once."""
    return len(bytearray(megabytes * 1024 * 1024))


def hang() -> None:
    """Wait for ever without using the CPU."""
    import signal

    signal.pause()


def abort() -> None:
    """Die as C code does when an allocation fails where it cannot report it."""
    import os

    os.abort()


def refuse_empty() -> None:
    from flask_babel import lazy_gettext

    from forum.attachments.inspect import Rejected

    raise Rejected(lazy_gettext("The file is empty."))
