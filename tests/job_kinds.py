"""Job kinds that exist only in tests, and the app a test's ``flask worker`` runs.

Importing this module registers them (``forum.jobs.kinds.KINDS``); a worker
subprocess gets them with ``flask --app "tests.job_kinds:worker_app()" worker``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from forum import create_app
from forum.jobs import job_kind

WAIT_FOR_FLAG = "test.wait_for_flag"
RECORD = "test.record"
ALWAYS_FAILS = "test.always_fails"
FLAG_WAIT_CAP = 120  # seconds: a job never outlives a forgotten test


@job_kind(WAIT_FOR_FLAG, max_attempts=3)
def wait_for_flag(payload: dict) -> None:
    """Say "started", wait until the test creates ``go``, then write "done" once."""
    folder = Path(payload["folder"])
    with open(folder / "started", "a") as started:
        started.write(f"{os.getpid()}\n")
    deadline = time.monotonic() + FLAG_WAIT_CAP
    while not (folder / "go").exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the test never said go")
        time.sleep(0.02)
    with open(folder / "done", "a") as done:
        done.write("done\n")


RECORDED: list[dict] = []


@job_kind(RECORD)
def record(payload: dict) -> None:
    RECORDED.append(payload)


@job_kind(ALWAYS_FAILS, max_attempts=3)
def always_fails(payload: dict) -> None:
    raise RuntimeError(payload.get("why", "it fails"))


def worker_app():
    """The forum as configured by the environment, with these kinds (for `flask --app`)."""
    return create_app()
