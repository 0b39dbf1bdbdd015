"""Search: one page of threads for a query, with notes and did-you-mean.

Hits are posts; the page shows threads: every matching post is found by set
operations (:mod:`.docsets`), and each thread is ranked by its best post.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass

from whoosh.searching import Searcher

from . import schema as f
from .analysis import TOKEN_RE
from .analysis import fold
from .docsets import Matches
from .docsets import find
from .documents import SearchHit
from .documents import SearchNote
from .documents import SearchResults
from .highlight import Highlighter
from .query_builder import Builder
from .query_builder import Compiled
from .scoring import score_posts
from .spelling import corrected_query
from .syntax import Parsed
from .syntax import SearchFilters
from .syntax import make_note
from .syntax import parse


@dataclass
class Best:
    """A thread's best post on this page."""

    docnum: int
    score: float
    opening: bool


def best_by_thread(
    found: Matches, posts: list[tuple[float, int]], limit: int | None = None
) -> dict[int, Best]:
    """Each thread's best post, threads in rank order; ties go to the opening post.

    Equal scores are ordered by the thread's activity, most recent first. With
    ``limit``, only the first ``limit`` threads are needed: the best few posts
    are picked with a heap, and all of them sorted only if those were too few
    (threads with many matching posts).
    """

    def rank(post: tuple[float, int]) -> tuple[float, int, int]:
        return (-post[0], -found.last_activity_of(post[1]), post[1])

    if limit is not None and len(posts) > limit * 20:
        top = heapq.nsmallest(limit * 10, posts, key=rank)
        best = _best_in_order(found, top, limit)
        if len(best) >= limit:
            return best
    return _best_in_order(found, sorted(posts, key=rank), limit)


def _best_in_order(
    found: Matches, posts: list[tuple[float, int]], limit: int | None
) -> dict[int, Best]:
    best: dict[int, Best] = {}
    last_score = None
    for score, docnum in posts:
        if limit is not None and len(best) >= limit and last_score is not None:
            if score < last_score:
                break
        thread = found.thread_of(docnum)
        current = best.get(thread)
        if current is None:
            best[thread] = Best(docnum, score, found.is_opening(docnum))
            last_score = score
        elif score == current.score and not current.opening and found.is_opening(docnum):
            best[thread] = Best(docnum, score, True)
    return best


def make_hit(
    searcher: Searcher,
    best: Best,
    highlighter: Highlighter,
    matching: int = 1,
    snippet: bool = True,
) -> SearchHit:
    """A hit from a post's stored fields, with highlighted title and snippet."""
    stored = searcher.stored_fields(best.docnum)
    body = stored.get(f.BODY) or stored.get(f.EXTRA) or ""
    return SearchHit(
        thread_id=int(stored[f.THREAD_ID]),
        post_id=int(stored[f.POST_ID]),
        score=float(best.score),
        title_html=highlighter.title(stored.get(f.TITLE, "")),
        snippet_html=highlighter.snippet(body) if snippet else "",
        matching_posts=matching,
    )


def run_compiled(
    searcher: Searcher, compiled: Compiled, page: int, per_page: int, sort: str
) -> tuple[list[SearchHit], int]:
    """One page of thread hits and the total thread count.

    Every matching post is found by set operations first (cheap), which gives
    the total and the newest-first order; scores are computed in bulk only
    for the posts that can reach this page.
    """
    if compiled.final is None:
        return [], 0
    found = find(searcher, compiled.final)
    threads = found.threads()
    wanted = page * per_page
    first = (page - 1) * per_page
    if len(threads) <= first:
        return [], len(threads)
    if sort == "newest" or not compiled.has_words:
        newest = heapq.nlargest(wanted, threads.items(), key=lambda item: (item[1], item[0]))
        page_threads = [thread for thread, _ in newest][first:]
        posts = score_posts(searcher, compiled.clauses, found, None, set(page_threads))
        best = best_by_thread(found, posts)
    else:
        posts = score_posts(searcher, compiled.clauses, found, wanted)
        best = best_by_thread(found, posts, wanted)
        page_threads = list(best)[first:wanted]
    counts = found.counts(set(page_threads))
    hits = [
        make_hit(searcher, best[thread], compiled.highlighter, counts[thread])
        for thread in page_threads
        if thread in best
    ]
    return hits, len(threads)


# -- entry point -----------------------------------------------------------------------


def _join(messages: list[SearchNote]) -> tuple[SearchNote, ...]:
    return tuple(dict.fromkeys(messages))


def page_notes(
    parsed: Parsed, matches_nothing: bool, compiled: list[SearchNote]
) -> list[SearchNote]:
    """What the page says about the query: repairs, caps, and why nothing was searched."""
    messages = parsed.messages + compiled
    if matches_nothing and not parsed.clauses and not parsed.filters:
        typed = [fold(token) for token in TOKEN_RE.findall(parsed.query)]
        if typed and not any(typed):
            messages.append(make_note("only_stop_words"))
        elif parsed.query.strip():
            messages.append(make_note("no_words"))
    return messages


def search(
    searcher: Searcher,
    text: str,
    filters: SearchFilters | None = None,
    page: int = 1,
    per_page: int = 20,
    sort: str = "relevance",
    correct: bool = True,
) -> SearchResults:
    """Search ``text`` (user syntax) with optional form ``filters``; never raises on input."""
    page = max(1, int(page))
    per_page = min(max(1, int(per_page)), 100)
    parsed = parse(text, filters)
    compiled = Builder(searcher, parsed).build()
    messages = page_notes(parsed, compiled.final is None, compiled.messages)
    hits, total = run_compiled(searcher, compiled, page, per_page, sort)
    corrected = corrected_query(searcher, parsed, filters) if correct else None
    return with_correction(
        hits,
        total,
        page,
        per_page,
        messages,
        corrected,
        lambda: search(searcher, corrected or "", filters, page, per_page, sort, correct=False),
    )


def with_correction(
    hits: list[SearchHit],
    total: int,
    page: int,
    per_page: int,
    messages: list[SearchNote],
    corrected: str | None,
    retry: Callable[[], SearchResults],
) -> SearchResults:
    """The page's results; when nothing was found and a correction exists, the
    corrected query's results (``retry()``) if they find something."""
    if corrected and total == 0:
        retried = retry()
        if retried.total:
            return SearchResults(
                hits=retried.hits,
                total=retried.total,
                page=page,
                per_page=per_page,
                corrected_query=corrected,
                showing_corrected=True,
                notes=_join(messages + list(retried.notes)),
            )
    return SearchResults(
        hits=hits,
        total=total,
        page=page,
        per_page=per_page,
        corrected_query=corrected,
        notes=_join(messages),
    )
