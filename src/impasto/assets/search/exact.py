"""The exact vector leg, and how the asset library stores vectors.

The leg embeds queries with an ``Embedder`` (``embedders/base.py``) and scores every
stored vector of its space inside the scope with numpy: exact, and fast enough for scopes
of tens of thousands of vectors. ANN indexes (usearch, sqlite-vec, pgvector) can replace
it behind the same ``SearchLeg`` protocol for larger scopes.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from impasto.assets.search.legs import LegHit, LegResult, Scope, SearchInput
from impasto.embedders.base import Embedder, normalise
from impasto.models import AssetEmbedding

Vector = NDArray[np.float32]
# Query texts whose vectors are kept: a search's later pages, and repeated searches.
TEXT_CACHE = 1024


def to_bytes(vector: Sequence[float] | NDArray[Any]) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(raw: bytes, dimensions: int) -> Vector:
    return np.frombuffer(raw, dtype="<f4", count=dimensions)


class ExactVectorLeg:
    """Cosine over every vector of one space in the scope; an asset scores its best one."""

    def __init__(self, embedder: Embedder, weight: float = 0.6) -> None:
        self.embedder = embedder
        self.name = f"vector:{embedder.space}"
        self.weight = weight
        self._text_vector = lru_cache(maxsize=TEXT_CACHE)(self._embed_text)

    def accepts(self, query: SearchInput) -> bool:
        if query.text:
            return True
        return self.embedder.space in query.stored or bool(query.images)

    def prepare(self, query: SearchInput) -> None:
        if query.text:
            self._text_vector(query.text)

    def query_vector(self, query: SearchInput) -> Vector | None:
        if query.text:
            return self._text_vector(query.text)
        stored = query.stored.get(self.embedder.space)
        if stored:
            matrix = normalise(np.asarray(stored, dtype=np.float32))
        else:
            embedded = self.embedder.embed_images(list(query.images))
            if embedded is None or len(embedded) == 0:
                return None
            matrix = normalise(embedded)
        # Frames of a video: their mean direction is the query.
        mean: Vector = normalise(matrix.mean(axis=0, keepdims=True))[0]
        return mean

    def _embed_text(self, text: str) -> Vector | None:
        texts = self.embedder.embed_texts([text])
        if texts is None:
            return None
        vector: Vector = normalise(texts)[0]
        vector.setflags(write=False)  # shared by every search of this text
        return vector

    def search(self, session: Session, scope: Scope, query: SearchInput, limit: int) -> LegResult:
        target = self.query_vector(query)
        if target is None:
            return LegResult([])
        rows = session.execute(
            select(AssetEmbedding.asset_pk, AssetEmbedding.vector).where(
                AssetEmbedding.space == self.embedder.space,
                AssetEmbedding.dimensions == self.embedder.dimensions,
                AssetEmbedding.asset_pk.in_(scope.assets),
            )
        )
        pks: list[int] = []
        vectors: list[Vector] = []
        for pk, raw in rows:
            pks.append(pk)
            vectors.append(from_bytes(raw, self.embedder.dimensions))
        if not pks:
            return LegResult([])
        sims = normalise(np.stack(vectors)) @ target
        best: dict[int, float] = {}
        for pk, sim in zip(pks, sims.tolist(), strict=True):
            if pk not in best or sim > best[pk]:
                best[pk] = float(sim)
        ranked = sorted(best.items(), key=lambda item: (-item[1], -item[0]))
        hits = [LegHit(pk, round(sim, 6)) for pk, sim in ranked[:limit]]
        return LegResult(hits, truncated=len(ranked) > limit)
