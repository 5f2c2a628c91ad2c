"""Gauges read when ``/metrics`` is scraped: queue depth, backlogs, index sizes.

A ``ScrapedGauge`` is a Prometheus collector whose samples come from a read function,
called at most once per ``ttl`` seconds (the injected clock's): scrapes in between, and
scrapes that arrive while a read runs, get the last answer, so a scrape flood costs one
read per ``ttl``. A read that fails is logged and leaves the family empty for that scrape
(no stale numbers, no 500 for the whole page). ``read_bounded`` runs the read in one short
read transaction, cut off by ``statement_timeout`` on PostgreSQL; on SQLite a read never
waits for the writer (WAL), and the reads here only walk an index range.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.orm import Session

from impasto.kit.clock import Clock
from impasto.kit.db import Database
from impasto.kit.logging import get_logger

T = TypeVar("T")
Sample = tuple[Sequence[str], float]
"""Label values, in the family's label order, and the value."""

SCRAPE_TTL_SECONDS = 2.0
READ_TIMEOUT_SECONDS = 2.0
log = get_logger(__name__)


class ScrapedGauge(Collector):
    def __init__(
        self,
        name: str,
        documentation: str,
        labels: Sequence[str],
        read: Callable[[], Iterable[Sample]],
        clock: Clock,
        *,
        ttl: float = SCRAPE_TTL_SECONDS,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.name = name
        self._documentation = documentation
        self._labels = list(labels)
        self._read = read
        self._clock = clock
        self._ttl = ttl
        self._lock = threading.Lock()
        self._samples: list[Sample] | None = None
        self._read_at = 0.0
        if registry is not None:
            registry.register(self)

    def describe(self) -> Iterator[GaugeMetricFamily]:
        """The family without samples: registering never calls ``read``."""
        yield self._family()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = self._family()
        for labels, value in self.samples():
            family.add_metric(list(labels), value)
        yield family

    def expire(self) -> None:
        """Read afresh at the next scrape (what it reads has just changed shape)."""
        with self._lock:
            self._samples = None

    def samples(self) -> list[Sample]:
        with self._lock:
            now = self._clock.monotonic()
            if self._samples is None or now - self._read_at >= self._ttl:
                self._read_at = now
                try:
                    self._samples = list(self._read())
                except Exception as exc:
                    log.warning("metrics_read_failed", metric=self.name, error=repr(exc))
                    self._samples = None
                    return []
            return self._samples

    def _family(self) -> GaugeMetricFamily:
        return GaugeMetricFamily(self.name, self._documentation, labels=self._labels)


def read_bounded(
    database: Database,
    query: Callable[[Session], T],
    *,
    timeout: float = READ_TIMEOUT_SECONDS,
) -> T:
    """``query`` in one read transaction that PostgreSQL cancels after ``timeout``."""
    with database.session(write=False) as session:
        if database.dialect == "postgresql":
            session.execute(
                text("SELECT set_config('statement_timeout', :ms, true)"),
                {"ms": str(max(1, int(timeout * 1000)))},
            )
        return query(session)
