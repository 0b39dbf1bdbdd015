"""Tag normalization, written once and used by forms, services, the demo and search."""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa

from .extensions import db
from .models import Tag

MAX_TAG_LENGTH = 30
MAX_TAGS_PER_THREAD = 8

_SEPARATORS = re.compile(r"[\s_]+")
_NOT_ALLOWED = re.compile(r"[^a-z0-9-]")
_HYPHENS = re.compile(r"-{2,}")


def normalize_tag(raw: str) -> str:
    """``"  Literasi Anak "`` -> ``"literasi-anak"``; empty when nothing usable is left.

    Lowercase, accents folded, spaces to hyphens, other punctuation dropped, at most
    30 characters (cut at a hyphen-free end).
    """
    text = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
    text = _SEPARATORS.sub("-", text.strip().lower())
    text = _HYPHENS.sub("-", _NOT_ALLOWED.sub("", text)).strip("-")
    return text[:MAX_TAG_LENGTH].rstrip("-")


def parse_tags(text: str) -> list[str]:
    """Comma-separated input to normalized, de-duplicated tags, in the order given."""
    tags: list[str] = []
    for part in (text or "").split(","):
        tag = normalize_tag(part)
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def get_tags(names: list[str]) -> list[Tag]:
    """Tag rows for the names (normalized here too, for callers other than forms)."""
    names = parse_tags(",".join(names))
    if not names:
        return []
    existing = {
        tag.name: tag for tag in db.session.scalars(sa.select(Tag).where(Tag.name.in_(names)))
    }
    tags = []
    for name in names:
        tag = existing.get(name)
        if tag is None:
            tag = Tag(name=name)
            db.session.add(tag)
        tags.append(tag)
    return tags
