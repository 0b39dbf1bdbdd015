"""Finds live script in HTML: real elements and attributes, not escaped text."""

from __future__ import annotations

from html.parser import HTMLParser

DANGEROUS_TAGS = {
    "script",
    "iframe",
    "svg",
    "math",
    "style",
    "object",
    "embed",
    "base",
    "body",
    "meta",
    "link",
    "frame",
    "frameset",
}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in DANGEROUS_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in {"href", "src", "action", "formaction", "xlink:href"} and value:
                squashed = "".join(ch for ch in value if ch > " ").lower()
                if squashed.startswith(DANGEROUS_SCHEMES):
                    self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "style":
                self.problems.append(f"<{tag} style=...>")


def live_script(html: str) -> list[str]:
    """Elements or attributes in ``html`` that could run script; empty when safe."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.problems
