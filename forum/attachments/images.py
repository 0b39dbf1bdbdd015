"""Photos re-encoded with Pillow: orientation applied, every piece of metadata dropped, resized.

Nothing of the uploaded file survives but its pixels: EXIF (GPS location
included), ICC profiles, text chunks and anything appended after the image
data (a polyglot's payload) are gone, because a new file is encoded.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from PIL import Image
from PIL import ImageOps
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

PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP", HEIC: "HEIF"}
THUMB_QUALITY = 70
JPEG_QUALITY = 84


@dataclass(frozen=True)
class Encoded:
    data: bytes
    width: int
    height: int
    content_type: str
    extension: str


def _decode(data: bytes, file_type: FileType, max_side: int, max_pixels: int) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Rejected(_l("This image has far too many pixels.")) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise Rejected(_l("This image is damaged or not really an image.")) from None
    if image.format != PILLOW_FORMATS[file_type]:
        raise Rejected(_l("This image is damaged or not really an image."))
    width, height = image.size
    if width * height > max_pixels:  # checked before any pixel is decoded
        raise Rejected(_l("This image has far too many pixels."))
    if file_type is JPEG and max(width, height) > max_side:
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when that still covers the
        # target size: a 12-megapixel photo then decodes several times faster.
        scale = max_side / max(width, height)
        image.draft("RGB", (round(width * scale), round(height * scale)))
    try:
        image.load()
        image = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Rejected(_l("This image has far too many pixels.")) from None
    except (OSError, ValueError, SyntaxError, EOFError, ZeroDivisionError):
        raise Rejected(_l("This image is damaged or not really an image.")) from None
    return image


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
    if max(image.size) <= side:
        return image
    resized = image.copy()
    resized.thumbnail((side, side), Image.Resampling.LANCZOS)
    return resized


def reencode(
    data: bytes, file_type: FileType, *, max_side: int, thumb_side: int, max_pixels: int
) -> tuple[Encoded, Encoded]:
    """The stored image (long side at most ``max_side``) and its WebP thumbnail."""
    image = _normalized(_decode(data, file_type, max_side, max_pixels))
    if file_type in (JPEG, HEIC) and image.mode == "RGBA":
        image = image.convert("RGB")
    fmt = {JPEG: "JPEG", HEIC: "JPEG", PNG: "PNG", WEBP: "WEBP"}[file_type]
    full = _fit(image, max_side)
    stored_type = JPEG if fmt == "JPEG" else file_type
    main = Encoded(_encode(full, fmt), *full.size, stored_type.content_type, stored_type.extension)
    return main, thumbnail(full, thumb_side)


def thumbnail(image: Image.Image, side: int) -> Encoded:
    """A small WebP for pages: a few tens of kilobytes for a photo."""
    small = _fit(_normalized(image), side)
    return Encoded(_encode(small, "WEBP", THUMB_QUALITY), *small.size, "image/webp", "webp")
