"""Every user-visible string is in both catalogues, translated, with its placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ["id", "en"]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def catalogue(language):
    with (ROOT / f"forum/translations/{language}/LC_MESSAGES/messages.po").open("rb") as f:
        return read_po(f, locale=language)


def source_messages() -> set[str]:
    method_map = [("forum/**.py", "python"), ("templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_covers_every_string_in_the_code(language):
    assert {"Wrong username or password.", "%(num)d reply"} <= source_messages()
    known = {m.id[0] if m.pluralizable else m.id for m in catalogue(language) if m.id}
    missing = sorted(source_messages() - known)
    assert missing == [], f"run `make translations` and translate: {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_not_fuzzy(language):
    problems = []
    for message in catalogue(language):
        if not message.id:
            continue
        strings = message.string if message.pluralizable else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(message.id)
            continue
        wanted = set(PLACEHOLDER.findall(message.id[0] if message.pluralizable else message.id))
        for string in strings:
            if set(PLACEHOLDER.findall(string)) != wanted:
                problems.append(message.id)
    assert problems == []


# docs/glossary.md: one Indonesian word per concept. These words were the second
# (or third) name of a concept and must not come back.
RETIRED_WORDS = {
    r"\butas\b": "thread is 'diskusi'",
    r"\bmarkah": "bookmark is 'simpan' / 'Tersimpan'",
    r"peer.learning": "peer learning is 'belajar bersama'",
}


def test_the_indonesian_catalogue_follows_the_glossary():
    assert (ROOT / "docs/glossary.md").exists()
    problems = []
    for message in catalogue("id"):
        if not message.id:
            continue
        msgid = message.id[0] if message.pluralizable else message.id
        strings = message.string if message.pluralizable else (message.string,)
        for string in strings:
            for pattern, why in RETIRED_WORDS.items():
                if re.search(pattern, string, re.IGNORECASE):
                    problems.append(f"{msgid!r}: {why}")
            # A flag is an 'aduan'; 'laporan' is a report.
            if re.search(r"\bflag", msgid, re.IGNORECASE) and "lapor" in string.lower():
                problems.append(f"{msgid!r}: a flag is 'aduan'")
    assert problems == []
