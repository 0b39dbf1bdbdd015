"""Plain data that crosses the boundary between the forum and the search engine.

The forum builds :class:`SearchDocument` values from its rows; the engine returns
:class:`SearchHit` values. Neither side sees the other's objects (no ORM rows in
here, no Whoosh objects out of here).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime


@dataclass(frozen=True)
class SearchDocument:
    """One post as the index sees it, with its thread's fields copied in.

    Every post (the opening post included) is one document, so a reply can be
    found and shown under its thread, and thread filters (kind, tags, solved)
    restrict reply hits too. A change to a thread therefore re-emits the
    documents of all its posts.
    """

    post_id: int
    thread_id: int
    is_opening: bool
    kind: str  # "practice" | "challenge"
    title: str  # the thread's title
    body: str  # the post's Markdown source
    author: str  # username
    author_name: str  # display name
    created: datetime  # the post's creation time (aware, UTC)
    last_activity: datetime  # the thread's last activity (aware, UTC)
    tags: tuple[str, ...] = ()
    library: str = ""
    region: str = ""  # kabupaten/kota slug, e.g. "purwakarta"
    province: str = ""  # province slug, e.g. "jawa-barat"
    solved: bool = False
    verified: bool = False  # a practice a facilitator marked "Terverifikasi" (ranks higher)
    extra: str = ""  # structured sections, attachment names and text (later issues)

    @property
    def key(self) -> str:
        """The unique key of this document in the index."""
        return document_key(self.post_id)


def document_key(post_id: int) -> str:
    """The index key for a post, also used for deletions."""
    return f"post:{post_id}"


@dataclass(frozen=True)
class SearchHit:
    """One matching thread, with the best-matching post inside it."""

    thread_id: int
    post_id: int  # the best-matching post of the thread (maybe the opening post)
    score: float
    title_html: str  # escaped, with matches wrapped in <mark>
    snippet_html: str  # escaped, with matches wrapped in <mark>
    matching_posts: int = 1  # how many posts of this thread matched


@dataclass(frozen=True)
class SearchNote:
    """Something the page should tell the member about their query.

    ``key`` and ``params`` let the forum translate it; ``text`` is the engine's
    own (Indonesian) wording, for callers without a catalogue.
    """

    key: str
    params: tuple[tuple[str, object], ...] = ()
    text: str = ""


@dataclass(frozen=True)
class SearchResults:
    """A page of hits and what the page needs to say about them."""

    hits: list[SearchHit] = field(default_factory=list)
    total: int = 0  # matching threads
    page: int = 1
    per_page: int = 20
    corrected_query: str | None = None  # "did you mean", from the index's vocabulary
    showing_corrected: bool = False  # hits are for corrected_query (the original found little)
    notes: tuple[SearchNote, ...] = ()  # malformed syntax repaired, limits applied, ...

    @property
    def message(self) -> str | None:
        """The notes in the engine's own wording, or None."""
        return " ".join(note.text for note in self.notes) or None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))
