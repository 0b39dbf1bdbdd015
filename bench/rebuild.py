"""Time the search index rebuild alone, in CPU seconds (issue 18).

    PYTHONPATH=. .venv/bin/python bench/rebuild.py --posts 5000 --procs 1
    PYTHONPATH=. .venv/bin/python bench/rebuild.py --posts 2000 --profile /tmp/rebuild.prof
    PYTHONPATH=. .venv/bin/python bench/rebuild.py --posts 2000 --fingerprint

Builds the generated corpus of ``bench/search.py`` (same generator, same seed)
through ``SearchEngine.rebuild``, as ``flask search reindex --procs N`` does, and
prints wall seconds, CPU seconds of this process and its writer processes, and
posts per CPU second. CPU seconds are what to compare on a shared machine.

``--profile FILE`` runs the build under cProfile (``--procs 1`` only) and prints
the top entries. ``--fingerprint`` prints a hash of every file
inside the segments (named without the random segment names): two builds of the
same posts with one process write the same index exactly when the hashes match.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import os
import pstats
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from corpus import generate

import search_index
from search_index import SearchEngine


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the writer processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_rss_mb() -> float:
    """The largest resident size of this process or of a writer process, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def fingerprint(index_dir: Path) -> str:
    """A hash of every file inside the segments, named without the random segment names."""
    from whoosh.filedb.compound import CompoundStorage
    from whoosh.filedb.filestore import FileStorage

    digest = hashlib.sha256()
    storage = FileStorage(str(index_dir))
    for name in sorted(n for n in storage.list() if n.endswith(".seg")):
        compound = CompoundStorage(storage.open_file(name), use_mmap=False)
        for inner in sorted(compound.list(), key=lambda n: n.split(".", 1)[-1]):
            data = compound.open_file(inner).read()
            digest.update(inner.split(".", 1)[-1].encode() + hashlib.sha256(data).digest())
        compound.close()
    return digest.hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--procs", type=int, default=1)
    parser.add_argument("--profile", type=Path, default=None, help="cProfile output file")
    parser.add_argument("--top", type=int, default=30, help="profile entries to print")
    parser.add_argument("--fingerprint", action="store_true")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    if args.profile and args.procs != 1:
        parser.error("--profile needs --procs 1")

    print(f"search_index from {Path(search_index.__file__).parent}", flush=True)
    docs = [doc for doc, _ in generate(args.posts, args.seed)]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="serambi-rebuild-"))
    index_dir = workdir / "whoosh"
    shutil.rmtree(index_dir, ignore_errors=True)
    engine = SearchEngine(index_dir, background=False)
    load = os.getloadavg()[0]
    profiler = cProfile.Profile() if args.profile else None
    start, cpu = time.perf_counter(), cpu_seconds()
    if profiler:
        profiler.enable()
    engine.rebuild(iter(docs), total=len(docs), procs=args.procs)
    if profiler:
        profiler.disable()
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    print(
        f"{len(docs)} posts, procs {args.procs}: {seconds:.1f} s wall, {cpu:.2f} CPU s, "
        f"{len(docs) / cpu:.0f} posts per CPU s, {1000 * cpu / len(docs):.2f} CPU ms a post, "
        f"{engine.store.segment_count()} segments, peak RSS {peak_rss_mb():.0f} MB a process; "
        f"load {load:.2f} before, {os.getloadavg()[0]:.2f} after",
        flush=True,
    )
    if args.fingerprint:
        print(f"fingerprint {fingerprint(index_dir)}")
    engine.close()
    if profiler:
        profiler.dump_stats(args.profile)
        stats = pstats.Stats(str(args.profile), stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
