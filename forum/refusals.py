"""A service's "no" to what was submitted, for the view to show on the form.

Services raise :class:`Refusal` (a file too many, a refused upload ...) instead of
writing into form objects; the view puts ``reason`` under the field named
``field`` (:func:`forum.http.show_refusal`) and renders the form again.
A refusal raised inside :func:`forum.events.all_or_nothing` leaves nothing behind.
"""

from __future__ import annotations


class Refusal(ValueError):
    def __init__(self, field: str, reason) -> None:
        super().__init__(str(reason))
        self.field = field
        self.reason = reason  # a (lazy) translated message for the member
