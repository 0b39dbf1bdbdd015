"""Hostile search input against normal input of the same size, in one run.

Issue 14: what one member (or one visitor) can make a search cost. Each case
pairs the worst input we know with an ordinary one of the same size and reports
the median of ``--runs`` searches of each and their ratio:

- **snippet**: five posts of one word followed by 20,000 "[" (a quadratic
  snippet clean-up once took 9-13 s) against five posts of the same length of
  ordinary words;
- **did you mean**: a 500-character query of unknown words (fuzzy correction
  once ran on every one of them) against 500 characters of known words;
- **nested brackets**: a word inside 200 bracket pairs (a RecursionError, logged
  with a 120 KB traceback) against the same number of characters of words;
- **many NOTs**: a word and 120 negated words against a word and 120 words;
- **old date**: ``after:0001-01-01`` (an OverflowError) against ``after:2025-01-01``.

The index holds ``--posts`` generated posts (bench/corpus.py) plus posts with a
large made-up vocabulary (``--vocabulary`` distinct words), so that spelling
correction has as many words to look through as a forum of some years.

    .venv/bin/python bench/hostile_search.py [--posts 3000] [--runs 5]

Run it with ``PYTHONPATH`` pointing at the tree to measure (figures before a
change: point it at an export of the old commit). bench/RESULTS.md holds the
latest figures.
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import generate  # noqa: E402

from search_index import SearchDocument  # noqa: E402
from search_index import SearchEngine  # noqa: E402

SYLLABLES = [c + v for c in "bcdgjklmnprstw" for v in "aiueo"]


def made_up_words(rng: random.Random, n: int) -> list[str]:
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 5))))
    return sorted(words)


def documents(posts: int, vocabulary: list[str]) -> list[SearchDocument]:
    docs = [doc for doc, _ in generate(posts)]
    last = docs[-1]
    next_id, thread = last.post_id + 1, last.thread_id + 1

    def add(title: str, body: str) -> None:
        nonlocal next_id, thread
        docs.append(
            SearchDocument(
                post_id=next_id,
                thread_id=thread,
                is_opening=True,
                kind="practice",
                title=title,
                body=body,
                author="tamu",
                author_name="Tamu",
                created=last.created,
                last_activity=last.created,
            )
        )
        next_id += 1
        thread += 1

    for start in range(0, len(vocabulary), 200):
        add("Kosakata", " ".join(vocabulary[start : start + 200]))
    filler = ("kegiatan warga desa bersama " * 1000)[:20_000]
    for _ in range(5):
        add("Kurung", "zebrakurung " + "[" * 20_000)
        add("Biasa", "zebrabiasa " + filler)
    return docs


def timed(engine: SearchEngine, query: str, runs: int) -> tuple[float, int]:
    times = []
    total = 0
    for _ in range(runs):
        start = time.perf_counter()
        total = engine.search(query).total
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, total


def cases(rng: random.Random, vocabulary: list[str]) -> list[tuple[str, str, str]]:
    unknown = " ".join(w + "x" for w in rng.sample(vocabulary, 120))[:500]
    known = " ".join(rng.sample(vocabulary, 120))[: len(unknown)]
    nested = "(" * 200 + "kegiatan" + ")" * 200
    words = " ".join(["kegiatan"] * 60)[: len(nested)]
    negated = "kegiatan " + " ".join(f"-{w}" for w in vocabulary[:120])
    plain = "kegiatan " + " ".join(vocabulary[:120])
    return [
        ('snippet (20,000 "[")', "zebrakurung", "zebrabiasa"),
        ("did you mean (500 chars)", unknown, known),
        ("200 nested brackets", nested, words[: len(nested)]),
        ("120 NOTs", negated[:500], plain[:500]),
        ("after:0001-01-01", "kegiatan after:0001-01-01", "kegiatan after:2025-01-01"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=3000)
    parser.add_argument("--vocabulary", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # before a fix, failures log 120 KB tracebacks
    rng = random.Random(14)
    vocabulary = made_up_words(rng, args.vocabulary)
    with tempfile.TemporaryDirectory() as tmp:
        engine = SearchEngine(Path(tmp) / "index", background=False)
        started = time.perf_counter()
        count = engine.rebuild(iter(documents(args.posts, vocabulary)))
        print(f"index: {count} posts in {time.perf_counter() - started:.1f} s")
        print("| case | hostile ms | normal ms | ratio |")
        print("| --- | --- | --- | --- |")
        for label, hostile, normal in cases(rng, vocabulary):
            timed(engine, normal, 1)  # warm caches for both
            bad, _ = timed(engine, hostile, args.runs)
            good, _ = timed(engine, normal, args.runs)
            print(f"| {label} | {bad:.0f} | {good:.0f} | {bad / max(good, 0.01):.1f}× |")
        engine.close()


if __name__ == "__main__":
    main()
