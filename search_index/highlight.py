"""Escaped, highlighted titles and snippets.

Everything a member wrote is HTML-escaped first; only our own ``<mark>`` tags
are added, so a post containing ``<script>`` shows as text. A word is marked
when its exact form, its stem, or a typed prefix matches the query, so a search
for "pelatihan" also marks "melatih".
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from html import escape

from .analysis import TOKEN_RE
from .analysis import fold
from .analysis import stem_word

SNIPPET_WORDS = 32
SNIPPET_SOURCE_CHARS = 20_000  # a snippet reads at most this much of a post
SNIPPET_CHARS = 400  # and shows at most this much of it

# Markdown punctuation that reads as noise in a one-line snippet. Every pattern
# is linear: a bracket's content may not hold another opening bracket, so a
# post of 20,000 "[" is read once, not 20,000 times (each failed attempt stops
# at the next "[" instead of scanning to the end).
_MARKDOWN = [
    (re.compile(r"!\[([^\[\]]*)\]\([^()]*\)"), r"\1"),  # images: keep the alt text
    (re.compile(r"\[([^\[\]]*)\]\([^()]*\)"), r"\1"),  # links: keep the text
    (re.compile(r"^\s{0,3}(#{1,6}|>+|[-*+]|\d+[.)])\s+", re.MULTILINE), ""),
    (re.compile(r"(\*\*|__|`{1,3}|~~)"), ""),
    (re.compile(r"\s+"), " "),
]


def plain_text(markdown: str) -> str:
    """A rough plain-text reading of Markdown source, for snippets only.

    Reads at most :data:`SNIPPET_SOURCE_CHARS` characters, in linear time.
    """
    text = markdown[:SNIPPET_SOURCE_CHARS]
    for pattern, replacement in _MARKDOWN:
        text = pattern.sub(replacement, text)
    return text.strip()


@dataclass
class Highlighter:
    """What to mark: exact words, stems and prefixes from the query."""

    words: set[str] = field(default_factory=set)
    stems: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)
    _seen: dict[str, bool] = field(default_factory=dict, repr=False)  # surface -> marked?

    def matches(self, surface: str) -> bool:
        word = fold(surface)
        if not word:
            return False
        if word in self.words or stem_word(word) in self.stems:
            return True
        return any(word.startswith(prefix) for prefix in self.prefixes)

    def _spans(self, text: str) -> list[tuple[int, int, bool]]:
        seen = self._seen
        spans = []
        for match in TOKEN_RE.finditer(text):
            surface = match.group(0)
            hit = seen.get(surface)
            if hit is None:
                hit = seen[surface] = self.matches(surface)
            spans.append((match.start(), match.end(), hit))
        return spans

    def title(self, title: str) -> str:
        """The whole title, escaped, matches marked."""
        return _render(title, self._spans(title), 0, len(title))

    def snippet(self, markdown: str, words: int = SNIPPET_WORDS) -> str:
        """The densest window of about ``words`` words, escaped, matches marked."""
        text = plain_text(markdown)
        spans = self._spans(text)
        if not spans:
            return escape(text[:200]) + (" …" if len(text) > 200 else "")
        best_start = _densest_window(text, spans, words)
        # Start a little before the first match so it has some context.
        first_hit = next(
            (j for j in range(best_start, min(len(spans), best_start + words)) if spans[j][2]),
            best_start,
        )
        start_index = max(0, min(first_hit - 4, len(spans) - words))
        window = spans[start_index : start_index + words]
        begin = 0 if start_index == 0 else window[0][0]
        end = len(text) if start_index + words >= len(spans) else window[-1][1]
        if end - begin > SNIPPET_CHARS:  # a few very long "words" (a pasted link, a hash)
            end = begin + SNIPPET_CHARS
        html = _render(text, window, begin, end)
        prefix = "" if begin == 0 else "… "
        suffix = "" if end >= len(text) else " …"
        return f"{prefix}{html}{suffix}"


def _densest_window(text: str, spans: list[tuple[int, int, bool]], words: int) -> int:
    """Index of a window of ``words`` spans holding the most distinct marked words.

    Two pointers over the marked spans only: long posts with few matches are cheap.
    """
    hits = [(i, text[s:e].lower()) for i, (s, e, hit) in enumerate(spans) if hit]
    if not hits:
        return 0
    counts: Counter[str] = Counter()
    best_start, best_score, left = hits[0][0], -1, 0
    for right, (position, key) in enumerate(hits):
        counts[key] += 1
        while hits[left][0] <= position - words:
            old = hits[left][1]
            counts[old] -= 1
            if not counts[old]:
                del counts[old]
            left += 1
        score = len(counts) * 10 + (right - left + 1)
        if score > best_score:
            best_start, best_score = hits[left][0], score
    return best_start


def _render(text: str, spans: list[tuple[int, int, bool]], begin: int, end: int) -> str:
    out = []
    position = begin
    for start, stop, hit in spans:
        if not hit or start < begin or stop > end:
            continue
        out.append(escape(text[position:start]))
        out.append(f"<mark>{escape(text[start:stop])}</mark>")
        position = stop
    out.append(escape(text[position:end]))
    return "".join(out)
