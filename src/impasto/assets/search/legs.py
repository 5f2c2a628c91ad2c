"""The search seam: legs that each rank assets within a scope, fused by weighted RRF.

A leg answers a ranked list of asset keys for one query inside the scope (the owner, and
the filters as SQL over ``assets``). Fusion uses ranks, not scores, so the keyword
leg's numbers (and BM25 versus ts_rank) never need to be comparable with cosines: the same
data ranks the same way on both databases (``docs/architecture/assets.md``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from impasto.embedders.base import EmbedderUnavailable
from impasto.kit.db.hints import unindexed
from impasto.kit.logging import get_logger
from impasto.models import Asset

log = get_logger(__name__)

ASSETS = Asset.__table__.c

RRF_K = 60


@dataclass(frozen=True, slots=True)
class SearchInput:
    """One search: text, or an image (bytes, or vectors of an indexed asset), or frames."""

    text: str | None = None
    images: Sequence[bytes] = ()
    # Vectors per space already stored for the asset the search URL names: reused as the
    # query, so an indexed video needs no decoding.
    stored: dict[str, Sequence[Sequence[float]]] = field(default_factory=dict)

    @property
    def is_visual(self) -> bool:
        return bool(self.images or self.stored)


@dataclass(frozen=True, slots=True)
class Scope:
    """The assets a search may return: ``owner``'s that pass every one of ``filters``."""

    owner: str
    filters: Sequence[ColumnElement[bool]] = ()

    @property
    def assets(self) -> Select[Any]:
        """The keys of the whole scope, read through the owner's index."""
        return select(ASSETS.id).where(ASSETS.owner == self.owner, *self.filters)

    def among(self, pks: Iterable[int]) -> Select[Any]:
        """Those of ``pks`` in the scope, looked up by key."""
        return select(ASSETS.id).where(
            ASSETS.id.in_(list(pks)), unindexed(ASSETS.owner) == self.owner, *self.filters
        )


@dataclass(frozen=True, slots=True)
class LegHit:
    asset_pk: int
    similarity: float | None = None  # cosine for vector legs; None for keyword hits


@dataclass(frozen=True, slots=True)
class LegResult:
    hits: list[LegHit]
    truncated: bool = False  # the leg stopped at its cap: more rows would have matched


class SearchLeg(Protocol):
    """One ranked retrieval over the scope. ``weight`` scales its share of the fusion."""

    name: str
    weight: float

    def accepts(self, query: SearchInput) -> bool:
        """Whether this leg can answer this kind of query at all."""
        ...

    def prepare(self, query: SearchInput) -> None:
        """Work of ``search`` that needs no database (embedding a query text), done ahead
        on another thread; ``search`` then finds it cached."""
        ...

    def search(
        self, session: Session, scope: Scope, query: SearchInput, limit: int
    ) -> LegResult: ...


# Embedding a query text (~20 ms of numpy, which releases the GIL) overlaps the keyword
# leg's reads instead of following them.
_PREPARING = ThreadPoolExecutor(os.cpu_count() or 2, thread_name_prefix="search-prepare")


def run_legs(
    session: Session,
    scope: Scope,
    query: SearchInput,
    legs: Sequence[SearchLeg],
    limit: int,
    *,
    preparer: Executor = _PREPARING,
) -> list[tuple[float, LegResult]]:
    """Each leg's weight and result, in the order of ``legs``; ``preparer`` runs the legs'
    ``prepare`` beside the searches (the process's shared pool unless told otherwise).

    A leg whose embedder cannot run (its model missing after all) is left out: the search
    answers with the legs that work, and the failure is logged once per leg and process."""
    preparing = [preparer.submit(leg.prepare, query) for leg in legs]
    results = []
    for leg, prepared in zip(legs, preparing, strict=True):
        try:
            # Still queued (the pool busy with other searches): prepare here rather than
            # wait. Started: wait, since a leg searching before its cache filled would
            # embed twice.
            if prepared.cancel():
                leg.prepare(query)
            else:
                prepared.result()
            result = leg.search(session, scope, query, limit)
        except EmbedderUnavailable as exc:
            _left_out(leg, exc)
            continue
        results.append((leg.weight, result))
    return results


_FAILED_LEGS: set[str] = set()  # legs whose failure this process has logged


def _left_out(leg: SearchLeg, exc: EmbedderUnavailable) -> None:
    if leg.name not in _FAILED_LEGS:
        _FAILED_LEGS.add(leg.name)
        log.warning("search_leg_unavailable", leg=leg.name, reason=str(exc))


@dataclass(frozen=True, slots=True)
class Fused:
    asset_pk: int
    score: float
    similarity: float | None


def fuse(results: Sequence[tuple[float, LegResult]], k: int = RRF_K) -> list[Fused]:
    """Weighted reciprocal rank fusion; ties go to the newer asset (larger key)."""
    scores: dict[int, float] = {}
    similarity: dict[int, float] = {}
    for weight, result in results:
        for rank, hit in enumerate(result.hits, start=1):
            scores[hit.asset_pk] = scores.get(hit.asset_pk, 0.0) + weight / (k + rank)
            if hit.similarity is not None:
                best = similarity.get(hit.asset_pk)
                similarity[hit.asset_pk] = max(hit.similarity, best) if best else hit.similarity
    ordered = sorted(scores.items(), key=lambda item: (-round(item[1], 12), -item[0]))
    return [Fused(pk, score, similarity.get(pk)) for pk, score in ordered]
