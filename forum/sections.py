"""The optional sections of a practice report and of a challenge.

TPBIS facilitators ask a library reporting a practice for its background, what
was done, the results, the resources, the number of participants and tips for
copying it; a challenge says what was already tried. Each section is a column
of ``threads`` with the same name: forms, pages, the index and the list filter
all read this one table.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Section:
    name: str  # the Thread column and the form field
    kind: str  # "practice" or "challenge"
    label: object  # lazy string: the heading on the page
    hint: object
    is_number: bool = False


SECTIONS = (
    Section(
        "context",
        "practice",
        _l("Background"),
        _l("The situation in your village before you started."),
    ),
    Section(
        "activities",
        "practice",
        _l("What was done"),
        _l("The activities, step by step."),
    ),
    Section(
        "impact",
        "practice",
        _l("Results and impact"),
        _l("What changed for the library and the community."),
    ),
    Section(
        "resources",
        "practice",
        _l("Resources"),
        _l("People, budget and materials it needed."),
    ),
    Section(
        "participants",
        "practice",
        _l("Participants"),
        _l("How many people took part."),
        is_number=True,
    ),
    Section("tips", "practice", _l("Tips"), _l("Advice for a library that wants to copy it.")),
    Section(
        "tried",
        "challenge",
        _l("What has already been tried"),
        _l("So nobody suggests what did not work."),
    ),
)
SECTION_NAMES = tuple(section.name for section in SECTIONS)
BY_NAME = {section.name: section for section in SECTIONS}


def sections_for(kind: str) -> tuple[Section, ...]:
    return tuple(section for section in SECTIONS if section.kind == kind)


def filled_sections(thread) -> list[tuple[Section, object]]:
    """The thread's sections that have a value, in reading order."""
    filled = []
    for section in sections_for(thread.kind):
        value = getattr(thread, section.name)
        if value is not None and value != "":
            filled.append((section, value))
    return filled


def section_values(kind: str, values: dict) -> dict:
    """Every section column for a thread of ``kind``: the other kind's are cleared."""
    return {
        section.name: _blank_to_none(values.get(section.name)) if section.kind == kind else None
        for section in SECTIONS
    }


def _blank_to_none(value):
    if isinstance(value, str):
        return value.strip() or None
    return value
