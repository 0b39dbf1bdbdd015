"""Every searchable post's document, for a rebuild of the index or a drift check.

What one row looks like to the index is :mod:`forum.search_changes`.
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa

from search_index import SearchDocument

from .models import Post
from .models import Thread
from .search_changes import build_document


def _searchable_posts():
    return sa.select(Post).join(Post.thread).where(Post.is_public, Thread.is_public)


def iter_documents(session) -> Iterator[SearchDocument]:
    """Every searchable post's document, streamed in batches (nothing runs until iterated)."""
    query = (
        _searchable_posts()
        .options(
            sa.orm.joinedload(Post.author),
            sa.orm.joinedload(Post.thread).joinedload(Thread.library),
            sa.orm.joinedload(Post.thread).selectinload(Thread.tags),
            sa.orm.selectinload(Post.attachments),
        )
        .order_by(Post.id)
        .execution_options(yield_per=500)
    )
    result = session.scalars(query)
    try:
        for post in result:
            yield build_document(post)
    finally:
        result.close()  # a server-side cursor on PostgreSQL, even if not exhausted


def count_documents(session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(_searchable_posts().subquery()))


def all_documents(session) -> tuple[Iterator[SearchDocument], int]:
    """Every searchable post and how many there are, for a rebuild or a drift check."""
    return iter_documents(session), count_documents(session)
