"""The queue's Prometheus series: depth, wait, run time, completions, retries, expiries.

Events are counted where the queue writes them (claim, completion, release, reaper), but
only once their transaction commits: an observation is queued on the session and made by
an ``after_commit`` listener, and dropped on rollback, as ``notify_after_commit`` does with
wake-ups. The hot path pays a list append per event and a histogram observe after commit;
no extra statement (the claim and finish statements return the two times they need).

Depth is read when scraped (``queue_depth``): one grouped count over the requests not yet
completed, which the ``(status, lease_expires_at)`` index keeps to the live rows, however
long the history.

Label values stay bounded: ``app`` is a deployed app, ``outcome`` is ``success``, one of
fal's platform error types (§5.1 of the wire protocol) or ``client_error``/``server_error``
for the errors an app reports in its own words.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy import (
    Integer,
    String,
    cast,
    event,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from impasto.kit.clock import Clock
from impasto.kit.db import Database
from impasto.kit.gauges import Sample, ScrapedGauge, read_bounded
from impasto.models import DeployedApp, RequestRecord
from impasto.runs.queue.completion import Completed
from impasto.runs.queue.repository import IN_PROGRESS, IN_QUEUE

PENDING_KEY = "impasto_metrics"
SUCCESS = "success"
PLATFORM_ERRORS = frozenset(
    {
        "request_timeout",
        "startup_timeout",
        "runner_scheduling_failure",
        "runner_connection_timeout",
        "runner_disconnected",
        "runner_connection_refused",
        "runner_connection_error",
        "runner_incomplete_response",
        "runner_server_error",
        "client_disconnected",
        "client_cancelled",
        "bad_request",
        "internal_error",
        "validation_error",
    }
)
# Reasons a request is re-queued or given up on, besides the error types above.
LEASE_EXPIRED = "lease_expired"
ATTEMPTS_EXHAUSTED = "attempts_exhausted"
RUNNER_CRASHES = "runner_crashes"
START_DEADLINE = "start_deadline"

# From milliseconds (a warm runner, an idle queue) to an hour (a queue behind slow models).
WAIT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)
RUN_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600)


def outcome_of(status_code: int, error_type: str | None) -> str:
    """A completion's ``outcome`` label, from a bounded set whatever the app answered."""
    if status_code < 400:
        return SUCCESS
    if error_type in PLATFORM_ERRORS:
        return error_type
    return "client_error" if status_code < 500 else "server_error"


def reason_of(error_type: str | None) -> str:
    """A retry's ``reason`` label: the release's platform error type, else ``app_error``
    (an app that answered 503 on its own)."""
    return error_type if error_type in PLATFORM_ERRORS else "app_error"


class QueueMetrics:
    def __init__(self, registry: CollectorRegistry, database: Database, clock: Clock) -> None:
        self.depth = ScrapedGauge(
            "impasto_queue_requests",
            "Requests not completed yet, by app and status (IN_QUEUE, IN_PROGRESS);"
            " read from the database when scraped, at most every 2 seconds.",
            ["app", "status"],
            lambda: read_bounded(database, queue_depth),
            clock,
            registry=registry,
        )
        self.wait = Histogram(
            "impasto_queue_wait_seconds",
            "Time from submit to the first claim by a worker.",
            ["app"],
            buckets=WAIT_BUCKETS,
            registry=registry,
        )
        self.run = Histogram(
            "impasto_queue_run_seconds",
            "Time from the first claim to the completion (retries included), by outcome.",
            ["app", "outcome"],
            buckets=RUN_BUCKETS,
            registry=registry,
        )
        self.completed = Counter(
            "impasto_queue_completed_total",
            "Requests completed, by outcome: success, a platform error type, or"
            " client_error/server_error.",
            ["app", "outcome"],
            registry=registry,
        )
        self.retries = Counter(
            "impasto_queue_retries_total",
            "Attempts put back in the queue to run again, by reason.",
            ["app", "reason"],
            registry=registry,
        )
        self.lease_expiries = Counter(
            "impasto_queue_lease_expiries_total",
            "Leases the reaper found expired (a worker stopped renewing them).",
            ["app"],
            registry=registry,
        )
        self.runner_crashes = Counter(
            "impasto_queue_runner_crashes_total",
            "Attempts released because the runner died while running them.",
            ["app"],
            registry=registry,
        )
        self.given_up = Counter(
            "impasto_queue_given_up_total",
            "Requests failed by the queue itself: attempts_exhausted, runner_crashes (the"
            " second runner it crashed) or start_deadline.",
            ["app", "reason"],
            registry=registry,
        )

    # Each of these runs inside the transaction that writes the event; the series move
    # (and a new label set appears) once it commits.

    def claimed(self, session: Session, app_id: str, waited: float) -> None:
        after_commit(session, lambda: self.wait.labels(app_id).observe(max(0.0, waited)))

    def on_completed(self, session: Session, done: Completed) -> None:
        """A completion hook (``RunDeps.hooks``): every way a request completes."""
        app_id, outcome = done.app_id, outcome_of(done.result_status, done.error_type)
        # None: cancelled or expired in the queue, it never ran.
        ran = None if done.started_at is None else _seconds(done.started_at, done.completed_at)

        def observe() -> None:
            self.completed.labels(app_id, outcome).inc()
            if ran is not None:
                self.run.labels(app_id, outcome).observe(ran)

        after_commit(session, observe)

    def retried(self, session: Session, app_id: str, reason: str) -> None:
        after_commit(session, lambda: self.retries.labels(app_id, reason).inc())

    def lease_expired(self, session: Session, app_id: str) -> None:
        after_commit(session, lambda: self.lease_expiries.labels(app_id).inc())

    def runner_crashed(self, session: Session, app_id: str) -> None:
        after_commit(session, lambda: self.runner_crashes.labels(app_id).inc())

    def gave_up(self, session: Session, app_id: str, reason: str) -> None:
        after_commit(session, lambda: self.given_up.labels(app_id, reason).inc())


def queue_depth(session: Session) -> list[Sample]:
    """``(app, status)`` -> requests IN_QUEUE and IN_PROGRESS, with every deployed app at
    0 for both, so a drained queue reads 0 rather than vanishing."""
    live = (
        select(RequestRecord.app_id, RequestRecord.status, func.count().label("n"))
        .where(RequestRecord.status.in_((IN_QUEUE, IN_PROGRESS)))
        .group_by(RequestRecord.app_id, RequestRecord.status)
    )
    deployed = select(DeployedApp.app_id, cast(null(), String(16)), literal_column("0", Integer()))
    counts: dict[tuple[str, str], int] = {}
    for app_id, status, n in session.execute(union_all(live, deployed)):
        for key in [(app_id, status)] if status else [(app_id, IN_QUEUE), (app_id, IN_PROGRESS)]:
            counts[key] = counts.get(key, 0) + int(n)
    return [((app_id, status), float(n)) for (app_id, status), n in sorted(counts.items())]


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` once ``session``'s transaction commits; never if it rolls back."""
    pending: list[Callable[[], None]] = session.info.setdefault(PENDING_KEY, [])
    pending.append(action)


def _seconds(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds())


# On the Session class, once (as completion.py's notifications): a listener per session
# instance costs far more than the dictionary lookup here.
@event.listens_for(Session, "after_commit")
def _observe(session: Session) -> None:
    pending: list[Callable[[], None]] | None = session.info.pop(PENDING_KEY, None)
    for action in pending or ():
        action()


@event.listens_for(Session, "after_rollback")
def _drop(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
