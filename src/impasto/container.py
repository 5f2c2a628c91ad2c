"""Explicit wiring: builds every service's backends from Settings. No FastAPI here."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry

from impasto.config import Settings
from impasto.kit.clock import Clock, SystemClock
from impasto.kit.db import Database
from impasto.kit.http.metrics import HttpMetrics
from impasto.kit.ids import IdGenerator, UUIDv7Generator
from impasto.kit.ratelimit import RateLimiter


@dataclass
class Container:
    settings: Settings
    database: Database
    clock: Clock
    ids: IdGenerator
    rate_limiter: RateLimiter
    metrics: HttpMetrics
    registry: CollectorRegistry = field(repr=False)

    def close(self) -> None:
        self.database.dispose()


def build_container(
    settings: Settings, *, clock: Clock | None = None, ids: IdGenerator | None = None
) -> Container:
    clock = clock or SystemClock()
    registry = CollectorRegistry()
    return Container(
        settings=settings,
        database=Database(settings.effective_database_url, pool_size=settings.db_pool_size),
        clock=clock,
        ids=ids or UUIDv7Generator(),
        rate_limiter=RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst, clock),
        metrics=HttpMetrics(registry),
        registry=registry,
    )
