"""The vector index protocol and the one ordering every index answers in."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import NamedTuple, Protocol

import numpy as np
from numpy.typing import NDArray

Vectors = NDArray[np.float32]


class Hit(NamedTuple):
    id: str
    score: float  # cosine similarity, -1..1


class VectorIndex(Protocol):
    """Vectors of one space, partitioned by owner; an owner's search never sees another's.

    Vectors are unit-norm float32 rows of ``dimensions``; ids are the caller's (one per
    vector: a video's frames are several ids). Adding an id that exists replaces its vector.
    ``allowed_ids`` narrows a search to a filtered scope (tags, collection...): the result
    then holds only those ids, exactly scored when the set is small.
    """

    @property
    def space(self) -> str: ...

    @property
    def dimensions(self) -> int: ...

    def add(self, owner: str, ids: Sequence[str], vectors: Vectors) -> None: ...

    def remove(self, owner: str, ids: Sequence[str]) -> None: ...

    def count(self, owner: str, at_most: int | None = None) -> int:
        """How many vectors ``owner`` has; no more than ``at_most``, which bounds the work."""
        ...

    def size(self) -> int:
        """How many vectors every owner has together (for metrics, not for searches)."""
        ...

    def search(
        self,
        owner: str,
        query: Vectors,
        k: int,
        allowed_ids: Collection[str] | None = None,
    ) -> list[Hit]: ...


class DimensionMismatch(ValueError):
    """A vector whose length is not the index's dimensions (another space's, most likely)."""


def check_vectors(vectors: Vectors, dimensions: int, rows: int | None = None) -> Vectors:
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    if matrix.ndim != 2 or matrix.shape[1] != dimensions:
        raise DimensionMismatch(f"expected vectors of {dimensions} dimensions, got {matrix.shape}")
    if rows is not None and matrix.shape[0] != rows:
        raise ValueError(f"{rows} ids but {matrix.shape[0]} vectors")
    if not np.isfinite(matrix).all():
        raise ValueError("vectors must be finite")
    return np.ascontiguousarray(matrix)


def check_query(query: Vectors, dimensions: int, k: int) -> Vectors:
    if k < 1:
        raise ValueError("k must be at least 1")
    row: Vectors = check_vectors(query, dimensions, rows=1)[0]
    return row


def rank_hits(hits: Iterable[tuple[str, float]], k: int) -> list[Hit]:
    """Best first; equal scores by id, so every index and backend orders ties alike."""
    ordered = sorted(hits, key=lambda hit: (-hit[1], hit[0]))
    return [Hit(id_, float(score)) for id_, score in ordered[:k]]
