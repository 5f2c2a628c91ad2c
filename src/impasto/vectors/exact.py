"""Exact cosine search with numpy: one matrix product over the owner's rows.

The floor every ANN index is measured against, and the right choice up to ~100k vectors
per scope (about 10 ms for 100k x 384 on one core; bench/README.md, Assets).
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence

import numpy as np

from impasto.vectors.base import Hit, Vectors, check_query, check_vectors, rank_hits


class _Scope:
    """One owner's vectors: a growable matrix, rows packed (a removal moves the last row)."""

    def __init__(self, dimensions: int) -> None:
        self.matrix = np.zeros((16, dimensions), dtype=np.float32)
        self.ids: list[str] = []
        self.rows: dict[str, int] = {}

    def add(self, ids: Sequence[str], vectors: Vectors) -> None:
        if len(set(ids)) != len(ids):  # the last vector given for an id wins
            last = {id_: position for position, id_ in enumerate(ids)}
            ids, vectors = list(last), vectors[list(last.values())]
        fresh: list[int] = []  # positions in ids of vectors new to the scope
        for position, id_ in enumerate(ids):
            row = self.rows.get(id_)
            if row is None:
                self.rows[id_] = len(self.ids)
                self.ids.append(id_)
                fresh.append(position)
            else:
                self.matrix[row] = vectors[position]
        if not fresh:
            return
        start = len(self.ids) - len(fresh)
        if len(self.ids) > len(self.matrix):
            # Doubling keeps appends amortised O(1) per row.
            rows = max(len(self.ids), 2 * len(self.matrix))
            grown = np.zeros((rows, self.matrix.shape[1]), dtype=np.float32)
            grown[:start] = self.matrix[:start]
            self.matrix = grown
        self.matrix[start : len(self.ids)] = vectors[fresh]

    def remove(self, ids: Sequence[str]) -> None:
        for id_ in ids:
            row = self.rows.pop(id_, None)
            if row is None:
                continue
            last = len(self.ids) - 1
            if row != last:
                moved = self.ids[last]
                self.matrix[row] = self.matrix[last]
                self.ids[row] = moved
                self.rows[moved] = row
            self.ids.pop()

    def vectors(self) -> Vectors:
        return self.matrix[: len(self.ids)]


class ExactIndex:
    def __init__(self, space: str, dimensions: int) -> None:
        self._space = space
        self._dimensions = dimensions
        self._scopes: dict[str, _Scope] = {}
        self._lock = threading.RLock()

    @property
    def space(self) -> str:
        return self._space

    @property
    def dimensions(self) -> int:
        return self._dimensions

    def add(self, owner: str, ids: Sequence[str], vectors: Vectors) -> None:
        matrix = check_vectors(vectors, self._dimensions, rows=len(ids))
        with self._lock:
            scope = self._scopes.get(owner)
            if scope is None:
                scope = self._scopes[owner] = _Scope(self._dimensions)
            scope.add(ids, matrix)

    def remove(self, owner: str, ids: Sequence[str]) -> None:
        with self._lock:
            scope = self._scopes.get(owner)
            if scope is not None:
                scope.remove(ids)

    def count(self, owner: str, at_most: int | None = None) -> int:
        with self._lock:
            scope = self._scopes.get(owner)
            found = len(scope.ids) if scope else 0
        return found if at_most is None else min(found, at_most)

    def size(self) -> int:
        with self._lock:
            return sum(len(scope.ids) for scope in self._scopes.values())

    def ids(self, owner: str) -> list[str]:
        with self._lock:
            scope = self._scopes.get(owner)
            return list(scope.ids) if scope else []

    def vectors(self, owner: str, ids: Sequence[str] | None = None) -> tuple[list[str], Vectors]:
        """A copy of the owner's vectors (all, or those of ``ids`` that exist), with their ids."""
        with self._lock:
            scope = self._scopes.get(owner)
            if scope is None:
                return [], np.zeros((0, self._dimensions), np.float32)
            if ids is None:
                return list(scope.ids), scope.vectors().copy()
            known = [id_ for id_ in ids if id_ in scope.rows]
            return known, scope.matrix[[scope.rows[id_] for id_ in known]]

    def search(
        self,
        owner: str,
        query: Vectors,
        k: int,
        allowed_ids: Collection[str] | None = None,
    ) -> list[Hit]:
        q = check_query(query, self._dimensions, k)
        with self._lock:
            scope = self._scopes.get(owner)
            if scope is None or not scope.ids:
                return []
            if allowed_ids is None:
                ids: Sequence[str] = scope.ids
                scores = scope.vectors() @ q
            else:
                ids = [id_ for id_ in set(allowed_ids) if id_ in scope.rows]
                if not ids:
                    return []
                scores = scope.matrix[[scope.rows[id_] for id_ in ids]] @ q
            return top_k(ids, scores, k)


def top_k(ids: Sequence[str], scores: Vectors, k: int) -> list[Hit]:
    """The k best of ``scores``; ties at the cut are kept so ``rank_hits`` breaks them by id."""
    if len(ids) > k:
        part = np.argpartition(-scores, k - 1)[:k]
        floor = scores[part].min()
        # Every row tied with the k-th score competes, so the id tie-break is global.
        keep = np.flatnonzero(scores >= floor).tolist()
        return rank_hits(((ids[i], float(scores[i])) for i in keep), k)
    return rank_hits(zip(ids, scores.tolist(), strict=True), k)
