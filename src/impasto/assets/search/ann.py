"""The vector leg over an ANN index, kept in step with ``asset_embeddings`` (the truth).

One ``AssetVectors`` per embedder space holds every owner's asset vectors in a
``vectors/`` index: the tiered numpy + usearch index on SQLite, pgvector's table on
PostgreSQL. It is filled once per process from the embedding rows, a pass that also queues
index jobs for assets the space has no vectors of (so an embedder added later covers the
existing library), then follows the indexer's writes. Until it is filled, and on PostgreSQL
without pgvector (where another process's writes could not reach an in-process index),
searches take the exact leg over the database instead.

Index hits are candidates only: a search keeps those still inside the scope (deleted assets
and filters drop out in SQL), and a filter that leaves too few falls back to the exact leg
over the scope's own rows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    cast,
    column,
    delete,
    exists,
    insert,
    literal,
    select,
    table,
)
from sqlalchemy.orm import Session

from impasto.assets.search.exact import ExactVectorLeg, from_bytes
from impasto.assets.search.legs import LegHit, LegResult, Scope, SearchInput
from impasto.embedders.base import Embedder, normalise
from impasto.kit.clock import Clock
from impasto.kit.db import Database
from impasto.kit.logging import get_logger
from impasto.models import Asset, AssetEmbedding, AssetIndexJob
from impasto.vectors.base import VectorIndex
from impasto.vectors.metrics import VectorMetrics
from impasto.vectors.pgvector import PgVectorIndex
from impasto.vectors.tiered import TieredIndex

log = get_logger(__name__)

ASSETS = Asset.__table__.c
EMBEDDINGS = AssetEmbedding.__table__.c
JOBS = AssetIndexJob.__table__.c
# Past this many index candidates a filter is selective enough for the exact leg.
MAX_FETCH = 16_384

VectorKey = tuple[int, str, int]  # asset key, kind, position: one row of asset_embeddings


def vector_id(key: VectorKey) -> str:
    return f"{key[0]}:{key[1]}:{key[2]}"


def asset_of(id_: str) -> int:
    return int(id_.split(":", 1)[0])


class AssetVectors:
    """One space's index over every owner's asset vectors; thread-safe."""

    def __init__(
        self,
        database: Database,
        embedder: Embedder,
        clock: Clock,
        open_index: Callable[[], VectorIndex | None],
        metrics: VectorMetrics | None = None,
    ) -> None:
        self.database = database
        self.embedder = embedder
        self.clock = clock
        self.open_index = open_index
        self.metrics = metrics or VectorMetrics(None, clock)
        self._index: VectorIndex | None = None
        self._lock = threading.Lock()

    @property
    def space(self) -> str:
        return self.embedder.space

    @property
    def index(self) -> VectorIndex | None:
        """The filled index; None while loading, or where there is none."""
        return self._index

    def load(self, stop: threading.Event | None = None) -> None:
        """Open and fill the index, and queue index jobs for assets without vectors of
        this space. Once per process; later calls return at once."""
        started = time.monotonic()
        with self._lock:
            if self._index is not None:
                return
            index = self.open_index()
            if index is None:
                log.warning("asset_vectors_exact", space=self.space, reason="no shared index")
                return
            queued = self._queue_missing()
            if isinstance(index, PgVectorIndex):
                added = self._reconcile(index, stop)
                check_buffers(index)
            else:
                added = self._fill(index, stop)
            if stop is not None and stop.is_set():
                return
            self._index = index
        elapsed = time.monotonic() - started
        self.metrics.loaded(index, elapsed)
        seconds = round(elapsed, 1)
        log.info(
            "asset_vectors_loaded", space=self.space, added=added, jobs=queued, seconds=seconds
        )

    def replace(self, owner: str, old: Iterable[VectorKey], new: Sequence[AssetEmbedding]) -> None:
        """Follow one asset's re-embedding: ``old`` rows went, ``new`` rows came in."""
        with self._lock:
            if self._index is None:
                return  # the load reads the committed rows itself
            rows = [row for row in new if row.space == self.space]
            ids = [vector_id((r.asset_pk, r.kind, r.position)) for r in rows]
            self._index.remove(owner, [vector_id(key) for key in old if vector_id(key) not in ids])
            if rows:
                matrix = np.stack([from_bytes(r.vector, r.dimensions) for r in rows])
                self._index.add(owner, ids, normalise(matrix))

    def save(self) -> None:
        """Keep grown usearch graphs for the next start."""
        with self._lock:
            if isinstance(self._index, TieredIndex):
                self._index.save()

    def _queue_missing(self) -> int:
        """Index jobs for assets with no vector of this space and no job pending."""
        now = literal(self.clock.now(), JOBS.created_at.type)
        unindexed = select(
            ASSETS.id, literal(self.space), literal("pending"), literal(0), now, now
        ).where(
            ~exists().where(EMBEDDINGS.asset_pk == ASSETS.id, EMBEDDINGS.space == self.space),
            ~exists().where(JOBS.asset_pk == ASSETS.id, JOBS.status == "pending"),
        )
        with self.database.session(write=True) as session:
            result = session.connection().execute(
                insert(AssetIndexJob).from_select(
                    ["asset_pk", "space", "status", "attempts", "run_after", "created_at"],
                    unindexed,
                )
            )
            return int(result.rowcount or 0)

    def _fill(self, index: VectorIndex, stop: threading.Event | None) -> int:
        """Every vector of the space, one owner at a time in one ``add``: a graph is built
        (or its saved file reused) from an owner's full contents, never grown row by row."""
        return self._add_rows(index, self._rows(), stop)

    def _reconcile(self, index: PgVectorIndex, stop: threading.Event | None) -> int:
        """pgvector's table outlives the process: drop rows whose embedding is gone, add
        the embeddings it lacks."""
        stored = table(index.table, column("owner"), column("id"))
        with self.database.session(write=True) as session:
            session.execute(
                delete(stored).where(
                    ~exists().where(
                        EMBEDDINGS.space == self.space,
                        ASSETS.id == EMBEDDINGS.asset_pk,
                        ASSETS.owner == stored.c.owner,
                        _id_expression() == stored.c.id,
                    )
                )
            )
        # The ids it holds, then every row skipping those: an anti-join in the cursor's
        # query got a fast-start plan that spilled to disk for minutes at 100k rows.
        with self.database.session(write=False) as session:
            held = {(o, i) for o, i in session.execute(select(stored.c.owner, stored.c.id))}
        return self._add_rows(index, self._rows(), stop, skip=held)

    def _rows(self) -> Select[Any]:
        # No ORDER BY: a cursor over a sorted join of 100k rows spilled to disk on
        # PostgreSQL and took minutes per FETCH; rows are grouped by owner in memory.
        return (
            select(ASSETS.owner, _id_expression(), EMBEDDINGS.vector)
            .join_from(AssetEmbedding.__table__, Asset.__table__, ASSETS.id == EMBEDDINGS.asset_pk)
            .where(
                EMBEDDINGS.space == self.space, EMBEDDINGS.dimensions == self.embedder.dimensions
            )
            .execution_options(yield_per=10_000)
        )

    def _add_rows(
        self,
        index: VectorIndex,
        rows: Select[Any],
        stop: threading.Event | None,
        skip: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
    ) -> int:
        """Each owner's rows in one ``add``."""
        owners: dict[str, tuple[list[str], list[bytes]]] = {}
        with self.database.session(write=False) as session:
            for owner, id_, raw in session.execute(rows):
                if (owner, id_) in skip:
                    continue
                ids, raws = owners.setdefault(owner, ([], []))
                ids.append(id_)
                raws.append(raw)
                if stop is not None and stop.is_set():
                    return 0
        added = 0
        for owner, (ids, raws) in owners.items():
            if stop is not None and stop.is_set():
                break
            matrix = np.frombuffer(b"".join(raws), dtype="<f4").reshape(len(ids), -1)
            index.add(owner, ids, normalise(matrix))
            added += len(ids)
        return added


def check_buffers(index: PgVectorIndex) -> None:
    """Warn the operator when the server's buffers cannot hold the space's graph."""
    graph, buffers = index.graph_and_buffers()
    if graph > buffers:
        log.warning(
            "pgvector_graph_exceeds_shared_buffers",
            space=index.space,
            graph_mb=graph >> 20,
            shared_buffers_mb=buffers >> 20,
            hint="raise PostgreSQL's shared_buffers: a graph walk that misses them reads a"
            " page per visited vector (docs/architecture/asset-search.md)",
        )


def _id_expression() -> ColumnElement[str]:
    """``vector_id`` in SQL."""
    return (
        cast(EMBEDDINGS.asset_pk, String)
        + ":"
        + EMBEDDINGS.kind
        + ":"
        + cast(EMBEDDINGS.position, String)
    )


class IndexedVectorLeg(ExactVectorLeg):
    """The vector leg through ``AssetVectors``; the exact leg while it has no index."""

    def __init__(self, vectors: AssetVectors, weight: float = 0.6) -> None:
        super().__init__(vectors.embedder, weight)
        self.vectors = vectors

    def search(self, session: Session, scope: Scope, query: SearchInput, limit: int) -> LegResult:
        index = self.vectors.index
        if index is None:
            return super().search(session, scope, query, limit)
        target = self.query_vector(query)
        if target is None:
            return LegResult([])
        fetch = limit
        while True:
            stored = index.count(scope.owner, at_most=fetch + 1)
            # An asset scores its best vector; its other vectors take candidate slots.
            best: dict[int, float] = {}
            for hit in index.search(scope.owner, target, min(fetch, max(stored, 1))):
                pk = asset_of(hit.id)
                best[pk] = max(best.get(pk, -2.0), hit.score)
            kept = set(session.scalars(scope.among(best)))
            seen_all = fetch >= stored
            if len(kept) >= limit or seen_all:
                break
            if fetch >= MAX_FETCH:  # a selective filter: score its own rows exactly
                return super().search(session, scope, query, limit)
            fetch *= 4
        ranked = sorted(((pk, best[pk]) for pk in kept), key=lambda item: (-item[1], -item[0]))
        hits = [LegHit(pk, round(sim, 6)) for pk, sim in ranked[:limit]]
        return LegResult(hits, truncated=len(ranked) > limit or not seen_all)
