"""The adoption statuses as members read them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "planned": _l("planned"),
    "trying": _l("trying it now"),
    "running": _l("up and running"),
    "stopped": _l("stopped"),
}
