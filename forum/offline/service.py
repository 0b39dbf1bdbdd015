"""What the offline views hand out: the manifest's fields and the service worker's files."""

from __future__ import annotations

import hashlib

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from ..assets import asset_url

THEME_COLOUR = "#0b5d48"  # the header's green (--accent in serambi.css)
BACKGROUND_COLOUR = "#fbfaf7"  # the page's background (--bg)
# The worker's cache is named after these: a new stylesheet or script, a fresh cache.
SHELL_ASSETS = ("serambi.css", "offline.js")
ICON_SIZES = (192, 512)


def manifest() -> dict:
    """The web app manifest: Indonesian names, the site's colours, icons from its own artwork."""
    with force_locale("id"):
        name = _("Serambi: village libraries learning together")
        short_name = _("Serambi")
    return {
        "name": name,
        "short_name": short_name,
        "lang": "id",
        "start_url": url_for("threads.home"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {
                "src": asset_url(f"icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any maskable",
            }
            for size in ICON_SIZES
        ],
    }


def worker() -> dict:
    """The service worker's cache version: a deploy that changes an asset changes its bytes."""
    shell = [asset_url(name) for name in SHELL_ASSETS]
    return {"version": hashlib.blake2b("\n".join(shell).encode(), digest_size=5).hexdigest()}
