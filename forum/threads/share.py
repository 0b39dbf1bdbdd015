"""Sharing a thread where librarians talk: a WhatsApp link, its address, link previews.

Every address is absolute and built from ``SERAMBI_BASE_URL`` (``external_url``),
never from the request's Host header: a preview card must not point anywhere else.
"""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import quote

from flask_babel import get_locale

from ..markup import plain_text
from ..urls import external_url

OG_LOCALES = {"id": "id_ID", "en": "en_US"}


def thread_share(thread, opening) -> SimpleNamespace:
    """The thread's public address, a wa.me link and its Open Graph properties."""
    url = external_url("threads.detail", thread_id=thread.id)
    # What a visitor sees: a file a facilitator hid never becomes the preview.
    photos = [a for a in opening.attachments if a.is_image and a.thumb_key and not a.hidden]
    photo = photos[0] if photos else None
    open_graph = {
        "og:type": "article",
        "og:site_name": "Serambi",
        "og:title": thread.title,
        "og:description": plain_text(opening.html, 200),
        "og:url": url,
        "og:locale": OG_LOCALES.get(str(get_locale().language), "id_ID"),
    }
    if photo is not None:
        open_graph["og:image"] = external_url("attachments.thumb", attachment_id=photo.id)
    return SimpleNamespace(
        url=url,
        whatsapp="https://wa.me/?text=" + quote(f"{thread.title}\n{url}", safe=""),
        open_graph=open_graph,
    )
