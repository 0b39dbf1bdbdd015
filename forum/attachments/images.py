"""Photos re-encoded with Pillow: orientation applied, every piece of metadata dropped, resized.

Nothing of the uploaded file survives but its pixels: EXIF (GPS location
included), ICC profiles, text chunks and anything appended after the image
data (a polyglot's payload) are gone, because a new file is encoded.

The stated width and height are read from the header before anything is decoded
(:func:`check_declared_size`, cheap enough to run in the web process); decoding
itself runs only inside the bounded child process (:mod:`.prepare`).
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from PIL import ExifTags
from PIL import Image
from PIL import UnidentifiedImageError

from .inspect import HEIC
from .inspect import JPEG
from .inspect import PNG
from .inspect import WEBP
from .inspect import FileType
from .inspect import Rejected
from .inspect import heic_supported

if heic_supported():
    import pillow_heif

    pillow_heif.register_heif_opener()

# What Pillow may call each type (a phone's JPEG with a depth map opens as MPO).
PILLOW_FORMATS = {JPEG: ("JPEG", "MPO"), PNG: ("PNG",), WEBP: ("WEBP",), HEIC: ("HEIF",)}
THUMB_QUALITY = 70
JPEG_QUALITY = 84


@dataclass(frozen=True)
class Encoded:
    data: bytes
    width: int
    height: int
    content_type: str
    extension: str


def declared_size(data: bytes, file_type: FileType) -> tuple[int, int] | None:
    """Width and height as the file's header states them, read from a few bytes without
    decoding anything; ``None`` when this reader cannot tell (HEIC, odd files): Pillow's
    own header reading in the bounded child then decides, still before any pixel."""
    if file_type == PNG:
        # The IHDR chunk is always first: width, height as big-endian 32-bit numbers.
        if len(data) >= 24 and data[12:16] == b"IHDR":
            return struct.unpack(">II", data[16:24])
        return None
    if file_type == WEBP:
        return _webp_size(data)
    if file_type == JPEG:
        return _jpeg_size(data)
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:  # extended: the canvas, 24-bit minus one
        return (
            int.from_bytes(data[24:27], "little") + 1,
            int.from_bytes(data[27:30], "little") + 1,
        )
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:  # lossless: 14 bits each
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":  # lossy
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None


# Start-of-frame markers (all but DHT C4, JPG C8 and DAC CC) carry the frame's size.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    position = 2
    while position + 9 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            position += 2
            continue
        if marker == 0xDA:  # start of scan before any frame header
            return None
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if marker in _JPEG_SOF:
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return width, height
        position += 2 + length
    return None


def check_declared_size(data: bytes, file_type: FileType, max_pixels: int) -> None:
    """:class:`Rejected` when the header states more pixels than a photo has."""
    size = declared_size(data, file_type)
    if size is not None and size[0] * size[1] > max_pixels:
        raise Rejected(_l("This image has far too many pixels."))


def _decode(
    data: bytes, file_type: FileType, max_side: int, max_pixels: int
) -> tuple[Image.Image, int]:
    """The first frame, decoded (JPEG at a reduced scale when that covers ``max_side``),
    and its EXIF orientation, applied later on the resized image (cheaper)."""
    check_declared_size(data, file_type, max_pixels)
    try:
        image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Rejected(_l("This image has far too many pixels.")) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise Rejected(_l("This image is damaged or not really an image.")) from None
    if image.format not in PILLOW_FORMATS[file_type]:
        raise Rejected(_l("This image is damaged or not really an image."))
    width, height = image.size
    if width * height > max_pixels:  # checked before any pixel is decoded
        raise Rejected(_l("This image has far too many pixels."))
    if file_type == JPEG and max(width, height) > max_side:
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when that still covers the
        # target size: a 12-megapixel photo then decodes several times faster.
        scale = max_side / max(width, height)
        image.draft("RGB", (round(width * scale), round(height * scale)))
    try:
        orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Rejected(_l("This image has far too many pixels.")) from None
    except (OSError, ValueError, SyntaxError, EOFError, ZeroDivisionError, struct.error):
        raise Rejected(_l("This image is damaged or not really an image.")) from None
    return image, orientation if isinstance(orientation, int) else 1


# EXIF orientation -> the transposition that makes the photo stand upright.
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _upright(image: Image.Image, orientation: int) -> Image.Image:
    method = _UPRIGHT.get(orientation)
    return image if method is None else image.transpose(method)


def _normalized(image: Image.Image) -> Image.Image:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    wanted = "RGBA" if has_alpha else "RGB"
    if image.mode == "L" and not has_alpha:
        wanted = "L"
    return image if image.mode == wanted else image.convert(wanted)


def _encode(image: Image.Image, fmt: str, quality: int = 82) -> bytes:
    image.info = {}  # exif, icc_profile, text chunks: none is written
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    elif fmt == "PNG":
        image.save(out, "PNG", optimize=True)
    else:
        image.save(out, "WEBP", quality=quality, method=4)
    return out.getvalue()


def _fit(image: Image.Image, side: int) -> Image.Image:
    """At most ``side`` on the long side, without a full-size copy first."""
    width, height = image.size
    if max(width, height) <= side:
        return image
    scale = side / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def reencode(
    data: bytes, file_type: FileType, *, max_side: int, thumb_side: int, max_pixels: int
) -> tuple[Encoded, Encoded]:
    """The stored image (long side at most ``max_side``) and its WebP thumbnail.

    Resized first, then turned upright and converted: one decoded full-size image
    in memory, never a second full-size copy.
    """
    image, orientation = _decode(data, file_type, max_side, max_pixels)
    if image.mode not in ("RGB", "RGBA", "L"):  # palette, CMYK, 16-bit: resize needs these
        image = _normalized(image)
    full = _normalized(_upright(_fit(image, max_side), orientation))
    if file_type in (JPEG, HEIC) and full.mode == "RGBA":
        full = full.convert("RGB")
    fmt = {JPEG: "JPEG", HEIC: "JPEG", PNG: "PNG", WEBP: "WEBP"}[file_type]
    stored_type = JPEG if fmt == "JPEG" else file_type
    main = Encoded(_encode(full, fmt), *full.size, stored_type.content_type, stored_type.extension)
    return main, thumbnail(full, thumb_side)


def thumbnail(image: Image.Image, side: int) -> Encoded:
    """A small WebP for pages: a few tens of kilobytes for a photo."""
    small = _fit(_normalized(image), side)
    return Encoded(_encode(small, "WEBP", THUMB_QUALITY), *small.size, "image/webp", "webp")
