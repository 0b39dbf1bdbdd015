"""Job kinds: a name, the function that does the work, and how often to try.

Each area registers its own kinds where the work lives (``@job_kind("...")``);
``forum.create_app`` imports those modules (``JOB_KINDS``). A handler gets the
job's payload (a dict) inside an app and request context, and must be
idempotent: a job whose worker died is run again from the start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Handler = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Kind:
    name: str
    handler: Handler
    max_attempts: int = 5
    on_give_up: Handler | None = None  # after the last failed attempt (e.g. mark a row failed)


KINDS: dict[str, Kind] = {}


def job_kind(
    name: str, *, max_attempts: int = 5, on_give_up: Handler | None = None
) -> Callable[[Handler], Handler]:
    """Register ``handler`` as the work of jobs called ``name``."""

    def register(handler: Handler) -> Handler:
        KINDS[name] = Kind(name, handler, max_attempts, on_give_up)
        return handler

    return register


def unregister(name: str) -> None:
    """Forget a kind (tests register throwaway kinds)."""
    KINDS.pop(name, None)
