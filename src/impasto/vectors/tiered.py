"""The embedded default: exact numpy for small scopes, an HNSW graph for large ones.

Every vector lives in the exact index (the truth for small scopes and filtered searches);
an owner whose scope passes ``exact_limit`` also gets an HNSW graph, built from those
vectors in one multi-threaded pass and saved in ``<data_dir>/vectors/``. A saved graph is
reused on restart when it holds exactly the vectors loaded again, so a restart does not pay
the build twice. Searches narrowed by ``allowed_ids`` to a small set are always exact: HNSW
under a selective filter returns too few rows (pgvector's measured failure mode).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Collection, Sequence
from dataclasses import replace
from pathlib import Path

from impasto.kit.logging import get_logger
from impasto.vectors.base import Hit, Vectors, check_query, check_vectors, rank_hits
from impasto.vectors.exact import ExactIndex
from impasto.vectors.hnsw import HnswGraph, HnswParams, contents_digest, usearch_available

log = get_logger(__name__)

DEFAULT_EXACT_LIMIT = 50_000
MAX_OVERSAMPLE = 4096  # past this many ANN candidates a filtered search goes exact


class TieredIndex:
    def __init__(
        self,
        space: str,
        dimensions: int,
        *,
        exact_limit: int = DEFAULT_EXACT_LIMIT,
        data_dir: Path | None = None,
        params: HnswParams | None = None,
        graph_type: type[HnswGraph] = HnswGraph,
    ) -> None:
        self._exact = ExactIndex(space, dimensions)
        self._exact_limit = exact_limit
        self._dir = data_dir
        self._params = params or HnswParams()
        self._graph_type = graph_type  # what builds, loads and saves the graphs
        self._graphs: dict[str, HnswGraph] = {}
        self._changed: set[str] = set()  # owners whose graph differs from its saved file
        self._lock = threading.RLock()
        self._ann = usearch_available()
        if not self._ann:
            log.warning("vector_ann_unavailable", space=space, reason="usearch not installed")

    @property
    def space(self) -> str:
        return self._exact.space

    @property
    def dimensions(self) -> int:
        return self._exact.dimensions

    def set_ef_search(self, ef: int) -> None:
        """Candidates per graph search from now on (recall against speed)."""
        self._params = replace(self._params, expansion_search=ef)
        for graph in self._graphs.values():
            graph.set_expansion_search(ef)

    def has_graph(self, owner: str) -> bool:
        return owner in self._graphs

    def add(self, owner: str, ids: Sequence[str], vectors: Vectors) -> None:
        matrix = check_vectors(vectors, self.dimensions, rows=len(ids))
        with self._lock:
            self._exact.add(owner, ids, matrix)
            graph = self._graphs.get(owner)
            if graph is not None:
                graph.add(ids, matrix)
                self._changed.add(owner)
            elif self._ann and self._exact.count(owner) > self._exact_limit:
                self._build(owner)

    def remove(self, owner: str, ids: Sequence[str]) -> None:
        with self._lock:
            self._exact.remove(owner, ids)
            graph = self._graphs.get(owner)
            if graph is not None:
                graph.remove(ids)
                self._changed.add(owner)

    def count(self, owner: str, at_most: int | None = None) -> int:
        return self._exact.count(owner, at_most)

    def size(self) -> int:
        return self._exact.size()

    def search(
        self,
        owner: str,
        query: Vectors,
        k: int,
        allowed_ids: Collection[str] | None = None,
    ) -> list[Hit]:
        q = check_query(query, self.dimensions, k)
        graph = self._graphs.get(owner)
        small_filter = allowed_ids is not None and len(allowed_ids) <= self._exact_limit
        if graph is None or small_filter:
            return self._exact.search(owner, q, k, allowed_ids)
        if allowed_ids is None:
            return rank_hits(graph.search(q, k), k)
        allowed = allowed_ids if isinstance(allowed_ids, set | frozenset) else set(allowed_ids)
        # Oversample: a filter keeping a fraction f of the scope needs about k/f candidates.
        fetch = max(4 * k, int(k * len(graph) / max(len(allowed), 1)))
        while fetch <= MAX_OVERSAMPLE:
            hits = [hit for hit in graph.search(q, fetch) if hit.id in allowed]
            if len(hits) >= k or fetch >= len(graph):
                return rank_hits(hits, k)
            fetch *= 4
        return self._exact.search(owner, q, k, allowed)

    def save(self) -> None:
        """Write the graphs changed since they were built, loaded or saved: a million
        vectors cost seconds to digest and 1.7 GB to write."""
        with self._lock:
            for owner in sorted(self._changed):
                ids, vectors = self._exact.vectors(owner)
                self._save(owner, self._graphs[owner], contents_digest(ids, vectors))
            self._changed.clear()

    def _build(self, owner: str) -> None:
        ids, vectors = self._exact.vectors(owner)
        digest = contents_digest(ids, vectors)
        path = self._path(owner)
        graphs = self._graph_type
        graph = graphs.load(path, self.dimensions, self._params, digest) if path else None
        if graph is None:
            graph = graphs(self.dimensions, self._params)
            graph.add(ids, vectors)
            self._save(owner, graph, digest)
            log.info("vector_graph_built", space=self.space, vectors=len(ids))
        self._graphs[owner] = graph

    def _save(self, owner: str, graph: HnswGraph, digest: str) -> None:
        path = self._path(owner)
        if path is not None:
            graph.save(path, digest)

    def _path(self, owner: str) -> Path | None:
        if self._dir is None:
            return None
        # Owner names and spaces become a hash: no path tricks, whatever they contain.
        name = hashlib.sha256(f"{self.space}\0{owner}".encode()).hexdigest()[:32]
        return self._dir / f"{name}.usearch"
