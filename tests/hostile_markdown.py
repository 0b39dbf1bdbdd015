"""The worst Markdown bodies we know of, shared by tests/test_markup_hostile.py and the bench."""

from __future__ import annotations

from forum.threads.forms import MAX_BODY


def hostile_bodies() -> dict[str, str]:
    """The worst bodies we know of, each as long as the body cap allows."""
    n = MAX_BODY
    return {
        "brackets": "[" * n,
        "image_openers": "![a" * (n // 3),
        "open_links": "[a](" * (n // 4),
        "link_labels": "[](" * (n // 3),
        "nested_quotes": ">" * n,
        "nested_lists": "".join("  " * i + "- x\n" for i in range(400))[:n],
        "nested_ordered": "1. " * (n // 3),
        "emphasis": "*a " * (n // 3),
        "mixed_delimiters": "_a*" * (n // 3),
        "many_links": "[a](https://contoh.id) " * (n // 23),
        "autolinks": "<http://a" * (n // 9),
        "angle_brackets": "<" * n,
        "backtick_runs": "`a``" * (n // 4),
        "table_autocomplete": "|a" * 3000 + "|\n" + "|-" * 3000 + "|\n" + "a\n" * 7000,
        "narrow_table_many_rows": "|a" * 20 + "|\n" + "|-" * 20 + "|\n" + "a\n" * 9000,
        "list_items": "- a\n" * (n // 4),
    }
