"""Markdown to safe HTML: markdown-it-py renders, nh3 sanitizes with an allowlist.

Raw HTML in the source is escaped by the renderer, and whatever comes out is
cleaned again, so no script, event handler, or javascript:/data: URL survives.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.enable(["table", "strikethrough"])

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
