"""Ranking quality on the demo community: does the first thread answer the question?

The generated corpus of bench/search.py judges whole topics; here each query
has the threads that answer it (bench/judged/demo.tsv), on the demo community
members see first (forum/data/demo_community.json), indexed without a database.
Reports recall@10, MRR and precision@1 per half (the held-out half chosen by a
hash of the query) and per style, for ours and for bare Whoosh.

    .venv/bin/python bench/search_demo.py [--half tuning] [--show]

``--show`` prints each query's first three threads (tuning half only).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from whoosh import qparser  # noqa: E402

from search_index import SearchDocument  # noqa: E402
from search_index import SearchEngine  # noqa: E402

DEMO = ROOT / "forum" / "data" / "demo_community.json"
JUDGED = Path(__file__).with_name("judged") / "demo.tsv"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Judged:
    text: str
    style: str
    answers: tuple[str, ...]  # title beginnings

    @property
    def held_out(self) -> bool:
        return hashlib.sha256(self.text.encode()).digest()[0] % 2 == 1


def load_judged() -> list[Judged]:
    judged = []
    for line in JUDGED.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            text, style, answers = line.split("\t")
            judged.append(Judged(text, style, tuple(answers.split("|"))))
    return judged


def demo_documents() -> tuple[list[SearchDocument], dict[int, str]]:
    data = json.loads(DEMO.read_text(encoding="utf-8"))
    docs, titles, post_id = [], {}, 0
    for thread_id, thread in enumerate(data["threads"], start=1):
        titles[thread_id] = thread["title"]
        created = NOW - timedelta(days=thread.get("days_ago", 0))
        solved = thread.get("accepted_reply") is not None
        bodies = [thread["body"]] + [reply["body"] for reply in thread.get("replies", [])]
        for i, body in enumerate(bodies):
            post_id += 1
            docs.append(
                SearchDocument(
                    post_id=post_id,
                    thread_id=thread_id,
                    is_opening=i == 0,
                    kind=thread["kind"],
                    title=thread["title"],
                    body=body,
                    author="anggota",
                    author_name="Anggota",
                    created=created + timedelta(hours=i),
                    last_activity=created,
                    tags=tuple(thread.get("tags", ())),
                    solved=solved,
                )
            )
    return docs, titles


def measure(run, judged: list[Judged], titles: dict[int, str]) -> dict[str, float]:
    recalls, ranks, firsts = [], [], []
    for query in judged:
        ranked = [titles[t] for t in run(query.text)[:10]]
        hits = [1 if title.startswith(query.answers) else 0 for title in ranked]
        recalls.append(sum(hits) / min(10, len(query.answers)))
        ranks.append(1 / (hits.index(1) + 1) if 1 in hits else 0.0)
        firsts.append(float(hits[:1] == [1]))
    return {
        "recall@10": statistics.mean(recalls),
        "mrr": statistics.mean(ranks),
        "p@1": statistics.mean(firsts),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=["both", "tuning"], default="both")
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args()
    docs, titles = demo_documents()
    judged = load_judged()
    with tempfile.TemporaryDirectory() as tmp:
        engine = SearchEngine(Path(tmp) / "index", background=False)
        engine.rebuild(iter(docs))

        def ours(text: str) -> list[int]:
            return [hit.thread_id for hit in engine.search(text, per_page=10).hits]

        def bare(text: str) -> list[int]:
            with engine.store.searcher() as searcher:
                parser = qparser.MultifieldParser(
                    ["title", "body"], searcher.schema, group=qparser.OrGroup.factory(0.9)
                )
                found = searcher.search(parser.parse(text), limit=50)
                return list(dict.fromkeys(int(hit["thread_id"]) for hit in found))

        halves = {"tuning": [j for j in judged if not j.held_out]}
        if args.half == "both":
            halves["held_out"] = [j for j in judged if j.held_out]
        for half, queries in halves.items():
            print(f"\n{half} half ({len(queries)} queries)")
            print("engine  group     recall@10  mrr    p@1")
            for name, run in (("ours", ours), ("bare", bare)):
                for style in ("all", "keyword", "question", "chat"):
                    chosen = [q for q in queries if style in ("all", q.style)]
                    if chosen:
                        v = measure(run, chosen, titles)
                        print(
                            f"{name:6}  {style:8}  {v['recall@10']:.3f}      "
                            f"{v['mrr']:.3f}  {v['p@1']:.3f}  ({len(chosen)})"
                        )
        if args.show:
            for query in halves["tuning"]:
                ranked = [titles[t] for t in ours(query.text)[:3]]
                mark = "ok " if ranked and ranked[0].startswith(query.answers) else "-- "
                print(mark, query.text, "->", [title[:40] for title in ranked])
        engine.close()


if __name__ == "__main__":
    main()
