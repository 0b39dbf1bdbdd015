"""Search-as-you-type (thread titles) and "similar threads" (Whoosh's more-like-this terms).

Both are small top-N searches with Whoosh's own scoring and a time limit:
they never need totals or thread grouping beyond the first few hits.
"""

from __future__ import annotations

from collections.abc import Iterable

from whoosh import collectors
from whoosh import query as wq
from whoosh.searching import Searcher

from . import schema as f
from .analysis import exact_tokens
from .documents import SearchHit
from .highlight import Highlighter
from .query_builder import MAX_CANDIDATES
from .query_builder import Builder
from .searching import Best
from .searching import make_hit
from .syntax import Word
from .syntax import parse
from .whoosh_queries import Any
from .whoosh_queries import Exclude
from .whoosh_queries import Restrict

SUGGEST_SECONDS = 0.5
SIMILAR_SECONDS = 1.0
SIMILAR_TERMS = 8


def top_posts(searcher: Searcher, query: wq.Query, limit: int, seconds: float) -> list[Best]:
    """The best ``limit`` posts by Whoosh's score, cut short (not failed) by the time limit."""
    # use_alarm=False: SIGALRM only works in the main thread, not in a server's workers.
    timed = collectors.TimeLimitCollector(
        collectors.TopCollector(limit=limit), seconds, use_alarm=False
    )
    try:
        searcher.search_with_collector(query, timed)
    except collectors.TimeLimit:
        pass
    return [Best(docnum, score, False) for score, docnum in timed.results().top_n]


def _limited(terms: Iterable[bytes | str], n: int) -> set[str]:
    out: set[str] = set()
    for i, term in enumerate(terms):
        if i >= n:
            break
        out.add(term.decode("utf-8") if isinstance(term, bytes) else term)
    return out


def suggest(searcher: Searcher, text: str, limit: int = 8) -> list[SearchHit]:
    """Thread titles for search-as-you-type: every word, the last one as a prefix."""
    text = (text or "")[:100]
    builder = Builder(searcher, parse(""))
    builder.in_field = "title"
    pieces = [Word(w, -1, -1) for w in exact_tokens(text)]
    if not pieces:
        return []
    last_is_prefix = not text[-1:].isspace() and len(pieces[-1].text) >= 2
    clauses: list[wq.Query] = []
    for i, word in enumerate(pieces):
        if i == len(pieces) - 1 and last_is_prefix:
            builder.highlighter.prefixes.add(word.text)
            expansions = _limited(
                builder.reader.expand_prefix(f.TITLE_EXACT, word.text), MAX_CANDIDATES
            )
            terms = builder.ranked(expansions)[:50]
            clauses.append(builder.expanded(word.text, terms + [word.text], word.text))
        else:
            clauses.append(builder.word(word))
    query = Restrict(wq.And(clauses), wq.Term(f.IS_OPENING, True))
    return [
        make_hit(searcher, best, builder.highlighter, snippet=False)
        for best in top_posts(searcher, query, limit, SUGGEST_SECONDS)
    ]


def similar(
    searcher: Searcher, subject: int | str, limit: int = 5, exclude_thread: int | None = None
) -> list[SearchHit]:
    """Threads like a thread (by id) or like a text (title + body), most similar first."""
    if isinstance(subject, int):
        opening = wq.And([wq.Term(f.THREAD_ID, str(subject)), wq.Term(f.IS_OPENING, True)])
        found = searcher.search(opening, limit=1)
        if not found:
            return []
        stored = found[0].fields()
        text = f"{stored.get(f.TITLE, '')} {stored.get(f.BODY, '')}"
        exclude_thread = subject if exclude_thread is None else exclude_thread
    else:
        text = subject[:20_000]
    # Whoosh's more-like-this: the text's most distinctive terms, matched
    # against opening posts (a thread is its question or practice). Eight body
    # terms, the best three also in titles: far fewer postings to walk than
    # twelve terms in every field, and as often on the thread's topic
    # (bench/similar.py reports the share).
    terms = searcher.key_terms_from_text(f.BODY, text, numterms=SIMILAR_TERMS)
    if not terms:
        return []
    subs = [wq.Term(f.BODY, term, boost=weight) for term, weight in terms]
    subs += [wq.Term(f.TITLE, term, boost=weight * 1.5) for term, weight in terms[:3]]
    query: wq.Query = Restrict(Any(subs), wq.Term(f.IS_OPENING, True))
    if exclude_thread is not None:
        query = Exclude(query, wq.Term(f.THREAD_ID, str(exclude_thread)))
    highlighter = Highlighter(stems={term for term, _ in terms})
    # One opening post per thread: the top posts are the top threads.
    return [
        make_hit(searcher, best, highlighter)
        for best in top_posts(searcher, query, limit, SIMILAR_SECONDS)
    ]
