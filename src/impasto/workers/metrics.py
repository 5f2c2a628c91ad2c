"""Runner processes seen from the worker that starts them: starts, start time, exits.

They live in the worker's process: the embedded worker of ``impasto serve`` counts on the
server's registry (``/metrics``); a remote ``impasto worker`` serves no HTTP, so its
runners show only through what the queue sees of them (``impasto_queue_*``: retries,
runner crashes, lease expiries).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from impasto.runners.errors import RunnerStartKilled, RunnerStartTimeout

OK = "ok"
START_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900)


class RunnerMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        """``None``: counted in a registry of its own, which nothing serves."""
        registry = registry if registry is not None else CollectorRegistry()
        self.starts = Counter(
            "impasto_runner_starts_total",
            "Runner processes started, by outcome: ok, failed (the app's setup or import"
            " failed), timeout (not ready within startup_timeout) or killed (by a signal"
            " it did not send itself, e.g. the OOM killer).",
            ["app", "outcome"],
            registry=registry,
        )
        self.start_time = Histogram(
            "impasto_runner_start_seconds",
            "Time from spawning a runner to its setup() finishing, for runners that started.",
            ["app"],
            buckets=START_BUCKETS,
            registry=registry,
        )
        self.exits = Counter(
            "impasto_runner_exits_total",
            "Runners that were ready and are gone, by reason: stopped (idle or shutdown),"
            " crashed (exited by itself), or why the worker killed it (request_timeout,"
            " cancel_grace_expired, no_heartbeat, protocol_error, stop_timeout, ...).",
            ["app", "reason"],
            registry=registry,
        )

    def started(self, app_id: str, seconds: float) -> None:
        self.starts.labels(app_id, OK).inc()
        self.start_time.labels(app_id).observe(max(0.0, seconds))

    def start_failed(self, app_id: str, error: BaseException) -> None:
        self.starts.labels(app_id, start_outcome(error)).inc()

    def exited(self, app_id: str, reason: str) -> None:
        self.exits.labels(app_id, reason).inc()


def start_outcome(error: BaseException) -> str:
    if isinstance(error, RunnerStartTimeout):
        return "timeout"
    if isinstance(error, RunnerStartKilled):
        return "killed"
    return "failed"
