"""Every hostile-input bench in one run: rendering, search (snippets, correction, caps), uploads.

Issue 14 asks for the worst inputs we know, each timed against a normal input of
the same size in the same run. Each part lives in its own script, because each
needs its own scratch data (a SQLite database, an index, a forkserver); this one
runs them one after another with the same ``--runs``, so one command gives the
whole table for bench/RESULTS.md:

    .venv/bin/python bench/hostile.py [--runs 5] [--only render,search,uploads]

Run it from the project folder (the upload check's forkserver imports ``forum``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PARTS = {
    "render": HERE / "hostile_render.py",
    "search": HERE / "hostile_search.py",
    "uploads": HERE / "hostile_uploads.py",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts")
    args = parser.parse_args()
    chosen = [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = sorted(set(chosen) - set(PARTS))
    if unknown:
        parser.error(f"unknown parts: {', '.join(unknown)} (choose from {', '.join(PARTS)})")
    failed = []
    for part in chosen:
        print(f"\n## {part}\n", flush=True)
        run = subprocess.run([sys.executable, str(PARTS[part]), "--runs", str(args.runs)])
        if run.returncode:
            failed.append(part)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
