"""Background work that survives a crash and runs once: the ``jobs`` table and its runners.

- :mod:`.models`: the table; :mod:`.kinds`: ``@job_kind`` registers an area's work;
- :mod:`.queue`: enqueue (in the causing transaction), claim, finish, fail, retry;
- :mod:`.runner`: ``flask worker``'s loop, and the same loop in the web process;
- :mod:`.cli`: ``flask worker``, ``flask jobs status|retry|enqueue``.
"""

from .kinds import job_kind
from .queue import enqueue

__all__ = ["enqueue", "job_kind"]
