"""Draw the home-screen icons (forum/static/icon-192.png, icon-512.png) with Pillow.

The site has no logo file: its mark is the header itself, white on the green
``--accent``. The icon is that green with a white *serambi* (a porch: roof,
two posts, a floor) over an open book. Run it again after a colour change:

    .venv/bin/python tools/make_icons.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from PIL import ImageDraw

GREEN = (11, 93, 72)  # --accent
WHITE = (255, 255, 255)
STATIC = Path(__file__).resolve().parent.parent / "forum" / "static"


def draw(size: int) -> Image.Image:
    """The icon at ``size`` pixels; the drawing stays inside the maskable safe zone (80%)."""
    scale = 4  # drawn large, then reduced: smooth edges without a font or an SVG renderer
    s = size * scale
    image = Image.new("RGB", (s, s), GREEN)
    pen = ImageDraw.Draw(image)

    def box(x0, y0, x1, y1):
        return [round(v * s) for v in (x0, y0, x1, y1)]

    pen.polygon([(0.5 * s, 0.22 * s), (0.80 * s, 0.42 * s), (0.20 * s, 0.42 * s)], fill=WHITE)
    pen.rectangle(box(0.27, 0.42, 0.33, 0.70), fill=WHITE)  # posts
    pen.rectangle(box(0.67, 0.42, 0.73, 0.70), fill=WHITE)
    pen.rectangle(box(0.20, 0.70, 0.80, 0.75), fill=WHITE)  # floor
    # An open book under the roof: two pages meeting at the spine.
    pen.polygon(
        [(0.38 * s, 0.50 * s), (0.5 * s, 0.54 * s), (0.5 * s, 0.66 * s), (0.38 * s, 0.62 * s)],
        fill=WHITE,
    )
    pen.polygon(
        [(0.62 * s, 0.50 * s), (0.5 * s, 0.54 * s), (0.5 * s, 0.66 * s), (0.62 * s, 0.62 * s)],
        fill=(220, 235, 230),
    )
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    for size in (192, 512):
        # Three colours and their blends: a 16-colour palette keeps the edges smooth and small.
        draw(size).quantize(16).save(STATIC / f"icon-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
