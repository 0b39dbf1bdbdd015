"""Best-effort work done after the response, in a daemon thread of this process.

Only mail a page sends at once uses it (forum/mail.py ``send_later``). Work that
must survive a crash or run once across servers is a job instead (forum/jobs/).
Each kind of work has a name; :func:`wait` joins the threads of one name that are
still running (tests, and a clean shutdown).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

_running: dict[str, set[threading.Thread]] = {}
_lock = threading.Lock()


def run_later(name: str, work: Callable[[], None]) -> None:
    """Start ``work`` in a daemon thread called ``name``."""

    def run() -> None:
        try:
            work()
        finally:
            with _lock:
                _running.get(name, set()).discard(threading.current_thread())

    thread = threading.Thread(target=run, name=name, daemon=True)
    with _lock:
        _running.setdefault(name, set()).add(thread)
    thread.start()


def wait(name: str, timeout: float = 30) -> None:
    """Wait until every thread started under ``name`` has finished."""
    with _lock:
        threads = list(_running.get(name, ()))
    for thread in threads:
        thread.join(timeout)
