"""Fill the English catalogue: msgids are English, so each translation is its msgid.

Run by `make translations` after `pybabel update`, so the completeness check
holds for English without anyone typing the same text twice.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po
from babel.messages.pofile import write_po

CATALOGUE = Path(__file__).resolve().parent.parent / "forum/translations/en/LC_MESSAGES/messages.po"


def main() -> None:
    with CATALOGUE.open("rb") as f:
        catalogue = read_po(f, locale="en")
    for message in catalogue:
        if not message.id:
            continue
        message.string = tuple(message.id) if message.pluralizable else message.id
        message.flags.discard("fuzzy")
    with CATALOGUE.open("wb") as f:
        write_po(f, catalogue, width=100)


if __name__ == "__main__":
    main()
