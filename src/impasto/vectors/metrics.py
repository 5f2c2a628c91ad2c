"""Vector indexes' Prometheus series: how long each took to build, how many vectors it holds.

A space's index is built (filled from the embedding rows, HNSW graphs included, or
reconciled with pgvector's table) once per process; ``loaded`` times that and from then on
the size is read when scraped: in memory for the embedded index, a count of pgvector's
table on PostgreSQL, so at most every ``SIZE_TTL_SECONDS``.
"""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry, Histogram

from impasto.kit.clock import Clock
from impasto.kit.gauges import Sample, ScrapedGauge
from impasto.vectors.base import VectorIndex

SIZE_TTL_SECONDS = 15.0
BUILD_BUCKETS = (0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800, 3600)


class VectorMetrics:
    def __init__(self, registry: CollectorRegistry | None, clock: Clock) -> None:
        """``registry`` None: counted in a registry of its own, which nothing serves."""
        registry = registry if registry is not None else CollectorRegistry()
        self._lock = threading.Lock()
        self._indexes: dict[str, VectorIndex] = {}
        self.build = Histogram(
            "impasto_vector_index_build_seconds",
            "Time to build a space's index at start (fill from the stored embeddings).",
            ["space"],
            buckets=BUILD_BUCKETS,
            registry=registry,
        )
        self.size = ScrapedGauge(
            "impasto_vector_index_vectors",
            "Vectors in a space's index, every owner's together; read when scraped.",
            ["space"],
            self._sizes,
            clock,
            ttl=SIZE_TTL_SECONDS,
            registry=registry,
        )

    def loaded(self, index: VectorIndex, seconds: float) -> None:
        """``index`` is built and serves searches from now on."""
        self.build.labels(index.space).observe(max(0.0, seconds))
        with self._lock:
            self._indexes[index.space] = index
        self.size.expire()

    def _sizes(self) -> list[Sample]:
        with self._lock:
            indexes = sorted(self._indexes.items())
        return [((space,), float(index.size())) for space, index in indexes]
