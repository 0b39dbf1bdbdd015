"""Hostile inputs shared by the security suite, and a check that a page gained no live script."""

from __future__ import annotations

from collections import Counter

from tests.html_safety import live_script

# Markdown tricks: links, images and raw HTML that must not come out live.
MARKDOWN_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<a href="javascript:alert(1)">klik</a>',
    "[klik](javascript:alert(1))",
    "[klik](JaVaScRiPt:alert(1))",
    "[klik](java\tscript:alert(1))",
    "[klik](&#106;avascript:alert(1))",
    "[klik](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![gambar](javascript:alert(1))",
    "![gambar](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '![x" onerror="alert(1)](https://example.org/a.png)',
    '[x](https://example.org "title\\" onmouseover=alert(1) x=\\"")',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<body onload=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<<script>script>alert(1)<</script>/script>",
    "[x](vbscript:msgbox(1))",
    '<a href="https://example.org" onclick="alert(1)">x</a>',
    "<details open ontoggle=alert(1)>",
    "`<script>` dalam kode aman",
]

# The Markdown tricks above, plus ones aimed at attributes,
# entities, SVG and mixed case in plain-text fields (titles, names, reasons).
XSS_PAYLOADS = [
    *MARKDOWN_PAYLOADS,
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '" autofocus onfocus="alert(1)',
    "' onmouseover='alert(1)",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<IMG SRC=JaVaScRiPt:alert(1)>",
    "<svg/onload=alert(1)>",
    "<svg><a xlink:href=javascript:alert(1)><text>x</text></a></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<img src=x:x onerror&#61;alert(1)>",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "&lt;img src=x onerror=alert(1)&gt;",
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:alert(1)">x</a>',
    "<a href=' javascript:alert(1)'>x</a>",
    "<object data=javascript:alert(1)>",
    "<embed src=data:text/html,<script>alert(1)</script>>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<button formaction=javascript:alert(1)>x</button>",
    "<input onfocus=alert(1) autofocus>",
    "<base href=//evil.example/>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<link rel=stylesheet href=javascript:alert(1)>",
    "<style>@import 'javascript:alert(1)';</style>",
    "[a](<javascript:alert(1)>)",
    "[a]: javascript:alert(1)\n\n[klik][a]",
    '<http://x.example/" onmouseover="alert(1)>',
    '![a](x "onerror=alert(1)")',
    "{{ 7*7 }}<script>alert(1)</script>",
    "\u202e<script>alert(1)</script>",
    "%3Cscript%3Ealert(1)%3C/script%3E",
]
assert len(XSS_PAYLOADS) >= 40


def new_live_script(html: str, baseline: str) -> list[str]:
    """Live script in ``html`` that the same page with harmless content does not have.

    Pages legitimately carry our own ``<script src=/assets/...>``, ``<meta>`` and
    ``<link>``; a payload must add nothing to them.
    """
    added = Counter(live_script(html)) - Counter(live_script(baseline))
    return sorted(added.elements())
