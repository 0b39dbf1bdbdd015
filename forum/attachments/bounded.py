"""Run one file's checks in a child process with a CPU-time, memory and wall-clock limit.

Decoding a photo or rendering a PDF page runs C code (libjpeg, libpng, libwebp,
libheif, pdfium) whose cost a hostile file of a few kilobytes can push to minutes
and gigabytes, and nothing written in Python can stop a C call once it started.
So every file is handled in a fresh child process that limits itself first:

- ``RLIMIT_CPU``: the kernel stops the child after N seconds of CPU (SIGXCPU, then
  SIGKILL a second later), whatever it is doing;
- ``RLIMIT_AS``: address space above what the child had when it started; an
  allocation past it fails (Pillow raises MemoryError; pdfium gives up or dies);
- the parent waits at most ``wall_seconds`` for the answer, then kills the child.

The children are forked by multiprocessing's *forkserver*, a small server process
that imported Pillow, pillow-heif and pdfium once: a file then costs a fork (about
20 ms) rather than a new interpreter (about 300 ms with ``spawn``), and, unlike a
plain ``fork`` of a threaded gunicorn worker, the child never inherits another
thread's locks or the worker's database connections. Each worker process starts
its own forkserver on the first upload.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import signal
import sys
import threading
from dataclasses import dataclass

log = logging.getLogger(__name__)

# Imported once by the forkserver, so each child starts with the decoders loaded.
PRELOAD = ["forum.attachments.prepare"]
# multiprocessing re-runs the parent's main *script* in every child (a Python 3.11
# quirk: the forkserver's own preload of "__main__" never receives the path). Under
# gunicorn that script imports gunicorn.app.wsgiapp: preloaded, the re-run is ~1 ms
# instead of ~130 ms. (`python -m ...` mains, as pytest, are not re-run at all.)
PRELOAD_IF_LOADED = ["gunicorn.app.wsgiapp"]
_context = None
_context_lock = threading.Lock()


@dataclass(frozen=True)
class Bounds:
    """What one file may cost."""

    cpu_seconds: int
    memory_bytes: int  # on top of what the child holds when it starts
    wall_seconds: float


class LimitExceeded(Exception):
    """The child went past a bound: ``limit`` is "time", "memory" or "crash"."""

    def __init__(self, limit: str, detail: str = ""):
        super().__init__(f"{limit}: {detail}" if detail else limit)
        self.limit = limit


def _get_context():
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            loaded = [name for name in PRELOAD_IF_LOADED if name in sys.modules]
            context.set_forkserver_preload(PRELOAD + loaded)
            _context = context
        return _context


def _address_space() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _limit_self(bounds: Bounds) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a killed child leaves no core file
    cpu = max(1, int(bounds.cpu_seconds))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    ceiling = _address_space() + bounds.memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))


def _child(connection, function, args, bounds: Bounds, parent_file: str) -> None:
    try:
        if os.path.realpath(__file__) != parent_file:
            # The forkserver found the package through its own sys.path (the working
            # folder, PYTHONPATH), not the parent's: it would run another checkout's code.
            raise RuntimeError(f"checking child runs {__file__}, not {parent_file}")
        _limit_self(bounds)
        answer = ("ok", function(*args))
    except MemoryError:
        answer = ("memory", None)
    except BaseException as error:  # noqa: BLE001 - handed to the parent, which decides
        answer = ("error", error)
    try:
        connection.send(answer)
    except MemoryError:
        connection.send(("memory", None))
    except Exception as error:  # noqa: BLE001 - an answer that does not pickle
        connection.send(("error", RuntimeError(f"unpicklable answer: {error!r}")))
    finally:
        connection.close()


def _died(exitcode: int | None) -> LimitExceeded:
    if exitcode in (-signal.SIGXCPU, -signal.SIGKILL):
        return LimitExceeded("time", f"exit {exitcode}")
    # Allocations failing inside C code can end in an abort or a segfault.
    return LimitExceeded("crash", f"exit {exitcode}")


def run(function, *args, bounds: Bounds):
    """``function(*args)`` in a limited child process; its result, or its exception re-raised.

    ``function``, its arguments and its result cross a pipe, so they must pickle.
    Raises :class:`LimitExceeded` when the child runs out of time or memory, or dies.
    """
    context = _get_context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_child,
        args=(sender, function, args, bounds, os.path.realpath(__file__)),
        name="attachment-check",
        daemon=True,
    )
    try:
        process.start()
        sender.close()
        if not receiver.poll(bounds.wall_seconds):
            raise LimitExceeded("time", f"no answer in {bounds.wall_seconds} s")
        try:
            status, value = receiver.recv()
        except EOFError:  # the child died before answering: the kernel stopped it
            process.join()
            raise _died(process.exitcode) from None
    finally:
        if process.is_alive():
            process.kill()
        if process.pid is not None:
            process.join()
            process.close()
        receiver.close()
        sender.close()
    if status == "ok":
        return value
    if status == "memory":
        raise LimitExceeded("memory")
    raise value


def child_cost_probe() -> int:
    """A trivial function to run in a child (``run(child_cost_probe, bounds=...)``): its pid."""
    return os.getpid()
