"""Markdown to safe HTML: markdown-it-py renders, nh3 sanitizes with an allowlist.

Raw HTML in the source is escaped by the renderer, and whatever comes out is
cleaned again, so no script, event handler, or javascript:/data: URL survives.

Posts and their earlier versions keep the HTML rendered here when they are
written (:mod:`forum.stored_html`); :data:`RENDER_VERSION` names the renderer, so
``flask posts rerender --if-needed`` finds rows rendered by an older one.

One render has a bounded cost whatever a member types (bench/hostile_render.py):
markdown-it already caps nesting at 20 levels; on top of that a paragraph gets at
most :data:`MAX_LINK_MISSES` failed ``[``/``![`` link attempts, each looking at most
:data:`LINK_WINDOW` characters ahead (20,000 ``[`` took 0.3-0.6 s before), and a
table has at most :data:`MAX_TABLE_COLUMNS` columns and :data:`MAX_TABLE_CELLS` body
cells (a 4 KB table that autocompletes empty cells made 660 KB of HTML in 2 s).
"""

from __future__ import annotations

import hashlib
import html
import re
from importlib.metadata import version

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_block.table import getLine as _table_line
from markdown_it.rules_block.table import table as _gfm_table
from markdown_it.rules_inline import image as _image_rule
from markdown_it.rules_inline import link as _link_rule
from markdown_it.token import Token
from markupsafe import Markup

MAX_LINK_MISSES = 500  # failed link/image attempts per paragraph; later ``[`` are plain text
LINK_WINDOW = 3000  # a link's text, address and title together, in characters
MAX_TABLE_COLUMNS = 20
MAX_TABLE_CELLS = 1000  # body rows x columns; the lines after them are an ordinary paragraph


def _bounded_link_rule(rule):
    """A link or image rule that stops trying after too many misses, and looks only so far."""

    def bounded(state, silent):
        misses = getattr(state, "serambi_link_misses", 0)
        if misses >= MAX_LINK_MISSES:
            return False
        end = state.posMax
        state.posMax = min(end, state.pos + LINK_WINDOW)
        try:
            found = rule(state, silent)
        finally:
            state.posMax = end
        if not found:
            state.serambi_link_misses = misses + 1
        return found

    return bounded


def max_table_rows(columns: int) -> int:
    """Body rows a table of so many columns may have: 500 of two, 50 of twenty."""
    return MAX_TABLE_CELLS // max(columns, 1)


def _bounded_table(state, start_line, end_line, silent):
    """GFM tables up to a size a forum post needs; wider ones stay text."""
    # The table rule's own cheap exits first: it runs as a terminator on every line.
    if start_line + 2 > end_line:
        return False
    delimiter_at = state.bMarks[start_line + 1] + state.tShift[start_line + 1]
    if delimiter_at >= state.eMarks[start_line + 1] or state.src[delimiter_at] not in "|-:":
        return False
    columns = _table_line(state, start_line).strip().strip("|").count("|") + 1
    if columns > MAX_TABLE_COLUMNS:
        return False
    end_line = min(end_line, start_line + 2 + max_table_rows(columns))
    return _gfm_table(state, start_line, end_line, silent)


_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.enable(["table", "strikethrough"])
_markdown.inline.ruler.at("link", _bounded_link_rule(_link_rule))
_markdown.inline.ruler.at("image", _bounded_link_rule(_image_rule))
_markdown.block.ruler.at("table", _bounded_table, {"alt": ["paragraph", "reference"]})

ALLOWED_TAGS = {
    "p", "br", "hr", "a", "em", "strong", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "img",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

# Bump RENDERER when the rendering code changes in a way that changes its HTML;
# the allowlists, limits and library versions are folded in by themselves.
RENDERER = 1
RENDER_VERSION = (
    f"{RENDERER}-"
    + hashlib.sha256(
        repr(
            (
                sorted(ALLOWED_TAGS),
                sorted((tag, sorted(names)) for tag, names in ALLOWED_ATTRIBUTES.items()),
                sorted(ALLOWED_URL_SCHEMES),
                (MAX_LINK_MISSES, LINK_WINDOW, MAX_TABLE_COLUMNS, MAX_TABLE_CELLS),
                version("markdown-it-py"),
                version("nh3"),
            )
        ).encode()
    ).hexdigest()[:12]
)


# @username as members type it: not part of an e-mail address or a longer word.
MENTION_RE = re.compile(r"(?<![\w@/.])@([A-Za-z0-9_]{3,30})(?![\w@])")


def _mention_texts(tokens):
    """Text tokens where a mention may be: never code spans, code blocks or link text."""
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        in_link = 0
        for child in token.children:
            if child.type == "link_open":
                in_link += 1
            elif child.type == "link_close":
                in_link -= 1
            elif child.type == "text" and not in_link:
                yield token, child


def find_mentions(text: str) -> list[str]:
    """Lowercase usernames written as ``@name`` in the text, in order, once each."""
    if not text or "@" not in text:
        return []  # no need to parse
    names: list[str] = []
    for _parent, child in _mention_texts(_markdown.parse(text or "")):
        for match in MENTION_RE.finditer(child.content):
            name = match.group(1).lower()
            if name not in names:
                names.append(name)
    return names


def _link_mentions(state) -> None:
    """Core rule: ``@name`` of a known member becomes a link to their profile."""
    known = state.env.get("mentions")
    if not known:
        return
    for parent, child in list(_mention_texts(state.tokens)):
        pieces, last = [], 0
        for match in MENTION_RE.finditer(child.content):
            name = match.group(1).lower()
            if name not in known:
                continue
            if match.start() > last:
                pieces.append(_text_token(child.content[last : match.start()]))
            link = Token("link_open", "a", 1)
            link.attrs = {"href": known[name]}
            pieces += [link, _text_token(match.group(0)), Token("link_close", "a", -1)]
            last = match.end()
        if pieces:
            if last < len(child.content):
                pieces.append(_text_token(child.content[last:]))
            # Tokens compare equal by value: find this one by identity.
            at = next(i for i, each in enumerate(parent.children) if each is child)
            parent.children[at : at + 1] = pieces


def _text_token(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


_markdown.core.ruler.push("mentions", _link_mentions)


def render_markdown(text: str, mentions=None) -> Markup:
    """Render a member's Markdown as HTML that is safe to put in a page.

    ``mentions`` maps the usernames (lowercase) that were resolved to members
    when the post was saved to their profile's address; only those ``@name``s
    become links. (Addresses are the web layer's: see ``forum.template_helpers``.)
    """
    html = _markdown.render(text or "", {"mentions": mentions} if mentions else None)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow ugc noopener",
        strip_comments=True,
    )
    return Markup(clean)  # noqa: S704 - sanitized above


def plain_text(rendered_html: str, limit: int = 200) -> str:
    """A post's stored HTML as one line of plain text, cut at a word: link previews,
    notification excerpts. No Markdown, no tags, no entities (escape it when shown)."""
    stripped = nh3.clean(rendered_html or "", tags=set(), strip_comments=True)
    words = " ".join(html.unescape(stripped).split())
    if len(words) <= limit:
        return words
    cut = words[: limit - 1].rsplit(" ", 1)[0] if " " in words[: limit - 1] else words[: limit - 1]
    return cut.rstrip(" ,.;:") + "…"
