"""Prometheus metrics for the HTTP layer, on a registry owned by the app (not the global one)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

UNMATCHED_ROUTE = "<unmatched>"


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.requests = Counter(
            "impasto_http_requests_total",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "impasto_http_request_duration_seconds",
            "Time from request start to the end of the response body.",
            ["route", "method", "status"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=registry,
        )

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        labels = (route, method, str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)
