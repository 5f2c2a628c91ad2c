"""The asset indexer's Prometheus series: its backlog, and the jobs it handled.

The backlog is read when scraped: a count of pending jobs over the ``(status, run_after,
id)`` index, which finished jobs (the long history) stay out of.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from impasto.kit.clock import Clock
from impasto.kit.db import Database
from impasto.kit.gauges import Sample, ScrapedGauge, read_bounded
from impasto.models import AssetIndexJob

PENDING = "pending"


class IndexerMetrics:
    def __init__(
        self, registry: CollectorRegistry | None, database: Database, clock: Clock
    ) -> None:
        """``registry`` None: counted in a registry of its own, which nothing serves."""
        registry = registry if registry is not None else CollectorRegistry()
        self.jobs = Counter(
            "impasto_assets_index_jobs_total",
            "Index jobs handled, by outcome: done, retry (failed, will run again) or"
            " failed (gave up after its last attempt).",
            ["outcome"],
            registry=registry,
        )
        self.backlog = ScrapedGauge(
            "impasto_assets_index_backlog",
            "Index jobs pending (thumbnails, probes, embeddings); read when scraped.",
            [],
            lambda: read_bounded(database, index_backlog),
            clock,
            registry=registry,
        )

    def handled(self, outcome: str) -> None:
        self.jobs.labels(outcome).inc()


def index_backlog(session: Session) -> list[Sample]:
    pending = session.scalar(
        select(func.count()).select_from(AssetIndexJob).where(AssetIndexJob.status == PENDING)
    )
    return [((), float(pending or 0))]
