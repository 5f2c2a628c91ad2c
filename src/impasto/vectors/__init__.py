"""Vector indexes: nearest neighbours by cosine within one space and one owner's scope.

``ExactIndex`` (numpy) is the floor and the answer for small scopes, ``TieredIndex`` adds
an HNSW graph (usearch) for an owner past a size threshold, and ``PgVectorIndex`` keeps
vectors in PostgreSQL with pgvector's HNSW. See docs/architecture/asset-search.md.
"""

from impasto.vectors.base import Hit, VectorIndex, rank_hits
from impasto.vectors.exact import ExactIndex
from impasto.vectors.tiered import TieredIndex

__all__ = ["ExactIndex", "Hit", "TieredIndex", "VectorIndex", "rank_hits"]
