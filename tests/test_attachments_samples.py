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
