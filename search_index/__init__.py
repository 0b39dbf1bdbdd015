"""Serambi's search engine (Whoosh). Never imports ``forum``."""

from .documents import SearchDocument
from .documents import SearchHit
from .documents import SearchResults
from .documents import document_key

__all__ = ["SearchDocument", "SearchHit", "SearchResults", "document_key"]
