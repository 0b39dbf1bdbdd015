"""One render has a bounded size and shape, whatever a member types within the body cap.

Timing lives in bench/hostile_render.py; these tests assert what the limits in
forum/markup.py promise: the output stays within a small multiple of the input,
the HTML nests only so deep, and the ordinary Markdown around a hostile part still
renders.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from forum.markup import MAX_TABLE_CELLS
from forum.markup import MAX_TABLE_COLUMNS
from forum.markup import max_table_rows
from forum.markup import render_markdown
from forum.threads.forms import MAX_BODY
from tests.hostile_markdown import hostile_bodies

VOID = {"br", "hr", "img"}


class _Depth(HTMLParser):
    def __init__(self):
        super().__init__()
        self.depth = self.deepest = 0

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.depth += 1
            self.deepest = max(self.deepest, self.depth)

    def handle_endtag(self, tag):
        if tag not in VOID:
            self.depth -= 1


def nesting_depth(html: str) -> int:
    parser = _Depth()
    parser.feed(html)
    return parser.deepest


def table_shape(html: str) -> tuple[int, int]:
    """(rows, cells) of all tables in the HTML."""
    return html.count("<tr>"), len(re.findall(r"<t[hd][ >]", html))


@pytest.mark.parametrize(("name", "body"), hostile_bodies().items())
def test_hostile_body_renders_to_bounded_html(name, body):
    body = body[:MAX_BODY]
    html = str(render_markdown(body))
    assert len(html) <= 6 * len(body) + 100
    assert nesting_depth(html) <= 45  # markdown-it stops at 20 levels; a list level is ul+li
    rows, cells = table_shape(html)
    assert cells <= MAX_TABLE_CELLS + MAX_TABLE_COLUMNS  # the body cells and a header row


def test_a_table_autocompleting_empty_cells_stays_text():
    """A 4 KB table of 1000 columns made 660 KB of empty cells before."""
    body = "|a" * 1000 + "|\n" + "|-" * 1000 + "|\n" + "a\n" * 100
    html = str(render_markdown(body))
    assert "<table>" not in html
    assert len(html) < 2 * len(body)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("[Panduan](https://contoh.id/panduan)", '<a href="https://contoh.id/panduan"'),
        ("![Foto](https://contoh.id/a.png)", '<img src="https://contoh.id/a.png"'),
        ("|a|b|\n|-|-|\n|1|2|", "<td>2</td>"),
        ("> kutipan\n>\n>> dalam", "<blockquote>\n<p>dalam</p>"),
    ],
)
def test_ordinary_markdown_still_renders(body, expected):
    assert expected in render_markdown(body)


def test_links_after_a_hostile_run_of_brackets_are_text_but_the_text_stays():
    """Past the miss budget a ``[`` is plain text: nothing is dropped, nothing is slow."""
    body = "[" * 5000 + " lihat [panduan](https://contoh.id) ya"
    html = str(render_markdown(body))
    assert "lihat" in html and "panduan" in html and "ya" in html


def test_a_table_up_to_the_limit_is_a_table():
    columns = MAX_TABLE_COLUMNS
    body = "|h" * columns + "|\n" + "|-" * columns + "|\n" + ("|c" * columns + "|\n") * 5
    html = str(render_markdown(body))
    assert table_shape(html) == (6, 6 * columns)


def test_rows_past_the_table_limit_are_a_paragraph():
    body = "|a|b|\n|-|-|\n" + "|1|2|\n" * (max_table_rows(2) + 50)
    html = str(render_markdown(body))
    assert table_shape(html)[0] == max_table_rows(2) + 1  # the header row and the body rows
    assert html.rstrip().endswith("</p>")
