"""The webhook side's Prometheus series: attempts, delivery latency, the outbox's size.

The outbox size is read when scraped: pending rows only (delivered and failed rows are
history, kept for the records; counting them would grow with it), through the
``(state, next_attempt_at)`` index.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from impasto.kit.clock import Clock
from impasto.kit.db import Database
from impasto.kit.gauges import Sample, ScrapedGauge, read_bounded
from impasto.models import WebhookDelivery
from impasto.webhooks.records import DeliveryState

NEW = "new"
ATTEMPTED = "attempted"
# From a sender that was waiting to a receiver that was down for hours (the retry window).
LATENCY_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600)


class WebhookMetrics:
    def __init__(self, registry: CollectorRegistry, database: Database, clock: Clock) -> None:
        self.deliveries = Counter(
            "impasto_webhook_deliveries_total",
            "Webhook delivery attempts by outcome: delivered, retry, failed (given up).",
            ["outcome"],
            registry=registry,
        )
        self.latency = Histogram(
            "impasto_webhook_delivery_seconds",
            "Time from the request's completion to its webhook's delivery, retries included.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.outbox = ScrapedGauge(
            "impasto_webhook_outbox",
            "Webhooks waiting for delivery, by state: new (never attempted) or attempted"
            " (in flight, or waiting for a retry); read when scraped.",
            ["state"],
            lambda: read_bounded(database, outbox_size),
            clock,
            registry=registry,
        )


def outbox_size(session: Session) -> list[Sample]:
    attempted = case((WebhookDelivery.attempts > 0, ATTEMPTED), else_=NEW)
    counts = dict.fromkeys((NEW, ATTEMPTED), 0)
    rows = session.execute(
        select(attempted, func.count())
        .where(WebhookDelivery.state == DeliveryState.PENDING)
        .group_by(attempted)
    )
    for state, n in rows:
        counts[state] = int(n)
    return [((state,), float(n)) for state, n in counts.items()]
