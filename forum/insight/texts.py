"""What meetings and their links are called on pages, in exports and in forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

MEETING_KIND_LABELS = {
    "peer_learning": _l("Peer-learning meeting"),
    "stakeholder": _l("Stakeholder meeting"),
}
RELATION_LABELS = {
    "discussed": _l("Discussed at the meeting"),
    "outcome": _l("Came out of the meeting"),
    "summary": _l("Summary of the meeting"),
}
