"""The worker side of the queue: claim under a lease, heartbeat, report, finish.

Every write names the worker and the attempt it holds; a worker whose lease expired (and
whose request was re-queued or finished by someone else) is told so and its late answer
is dropped, so exactly one result per request is ever visible.

A request released because its runner died under it (``runner_disconnected``) counts a
runner crash; the second one fails it, whatever attempts remain: a request that kills
every runner it reaches would otherwise take down the runner (and everything else in
flight there) once per attempt. Leases that expire (a worker died) count attempts only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from impasto.kit.text import describe_flaw, storable_text, unstorable_json
from impasto.models import RequestRecord, RunEvent
from impasto.runs.queue.completion import (
    Result,
    complete,
    finish_held,
    notify_after_commit,
    platform_failure,
    start_timeout_result,
)
from impasto.runs.queue.metrics import (
    ATTEMPTS_EXHAUSTED,
    LEASE_EXPIRED,
    RUNNER_CRASHES,
    START_DEADLINE,
    reason_of,
)
from impasto.runs.queue.notifier import WORK_TOPIC, app_topic, request_topic
from impasto.runs.queue.repository import IN_PROGRESS, IN_QUEUE, RunRepository
from impasto.runs.queue.service import RunDeps

EVENT_KINDS = frozenset({"log", "progress", "partial"})
CRASHED = "runner_disconnected"  # the error type of a release whose runner died
MAX_RUNNER_CRASHES = 2
CRASHED_TWICE = "The runner crashed twice while running this request; it is not tried again"


@dataclass(frozen=True)
class Claim:
    """A request handed to a worker: everything the runner needs, as plain data."""

    request_id: str
    app_id: str
    endpoint_id: str
    path: str
    payload: Any
    attempt: int
    headers: dict[str, str]
    runner_hint: str | None
    owner: str
    base_url: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Beat:
    """The answer to a heartbeat: requests to cancel, and leases the worker lost."""

    cancel: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)


class LeaseService:
    def __init__(self, session: Session, deps: RunDeps) -> None:
        self._session = session
        self._deps = deps
        self._repo = RunRepository(session)

    def claim(self, worker: str, app_id: str, limit: int) -> list[Claim]:
        """Requests past their start deadline are left to the reaper, which fails them."""
        now = self._deps.clock.now()
        if limit <= 0:
            return []
        rows = self._repo.claim(app_id, worker, limit, now, self._lease_until(now))
        metrics = self._deps.metrics
        for row in rows:
            notify_after_commit(self._session, self._deps.notifier, request_topic(row.request_id))
            if row.attempts == 1:  # a retry's wait would count its earlier attempts too
                metrics.claimed(self._session, app_id, (now - row.created_at).total_seconds())
        return [_claim(row) for row in rows]

    def heartbeat(self, worker: str, request_ids: Sequence[str]) -> Beat:
        held = {row.request_id: row for row in self._repo.held(worker, request_ids)}
        self._repo.renew(worker, list(held), self._lease_until(self._deps.clock.now()))
        return Beat(
            cancel=[rid for rid, row in held.items() if row.cancel_requested],
            lost=[rid for rid in request_ids if rid not in held],
        )

    def report(
        self, worker: str, request_id: str, attempt: int, events: Sequence[tuple[str, Any]]
    ) -> bool:
        """Store logs, progress and partial outputs of an attempt the worker still holds."""
        if self._holding(worker, request_id, attempt) is None:
            return False
        now = self._deps.clock.now()
        self._repo.add_events(
            [
                RunEvent(
                    request_id=request_id,
                    attempt=attempt,
                    kind=kind,
                    data=data,
                    created_at=now,
                )
                for kind, data in (_storable_event(event, now) for event in events)
                if kind in EVENT_KINDS
            ]
        )
        notify_after_commit(self._session, self._deps.notifier, request_topic(request_id))
        return True

    def finish(self, worker: str, request_id: str, attempt: int, result: Result) -> bool:
        return finish_held(
            self._session,
            request_id,
            worker,
            attempt,
            result,
            self._deps.clock.now(),
            self._deps.hooks,
            self._deps.notifier,
        )

    def release(self, worker: str, request_id: str, attempt: int, result: Result) -> bool:
        """A failure that may not be the request's fault: run it again if attempts remain,
        unless this is the second runner that died running it."""
        record = self._holding(worker, request_id, attempt)
        if record is None:
            return False
        if result.error_type == CRASHED:
            self._deps.metrics.runner_crashed(self._session, record.app_id)
            record.runner_crashes = (record.runner_crashes or 0) + 1
            if record.runner_crashes >= MAX_RUNNER_CRASHES:
                self._deps.metrics.gave_up(self._session, record.app_id, RUNNER_CRASHES)
                failure = platform_failure(503, CRASHED_TWICE, CRASHED)
                now = self._deps.clock.now()
                complete(self._session, record, failure, now, self._deps.hooks, self._deps.notifier)
                return True
        self._retry_or_fail(record, result)
        return True

    def held_claim(self, worker: str, request_id: str, attempt: int) -> Claim | None:
        """The attempt as claimed, while ``worker`` still holds it (for storing outputs)."""
        record = self._holding(worker, request_id, attempt)
        return None if record is None else _claim(record)

    def reap(self) -> int:
        """Re-queue (or fail) requests whose worker stopped renewing its lease."""
        now = self._deps.clock.now()
        expired = self._repo.expired_leases(now)
        for record in expired:
            self._deps.metrics.lease_expired(self._session, record.app_id)
            self._retry_or_fail(
                record,
                platform_failure(503, "Runner disconnected", "runner_disconnected"),
                reason=LEASE_EXPIRED,
            )
        return len(expired) + self._expire_starts(now, None)

    def _retry_or_fail(
        self, record: RequestRecord, result: Result, *, reason: str | None = None
    ) -> None:
        now = self._deps.clock.now()
        metrics = self._deps.metrics
        if record.attempts < record.max_attempts and not record.cancel_requested:
            metrics.retried(self._session, record.app_id, reason or reason_of(result.error_type))
            record.status = IN_QUEUE
            record.lease_owner = None
            record.lease_expires_at = None
            self._repo.flush()
            notify_after_commit(self._session, self._deps.notifier, app_topic(record.app_id))
            notify_after_commit(self._session, self._deps.notifier, WORK_TOPIC)
            notify_after_commit(
                self._session, self._deps.notifier, request_topic(record.request_id)
            )
            return
        if not record.cancel_requested:
            metrics.gave_up(self._session, record.app_id, ATTEMPTS_EXHAUSTED)
        complete(self._session, record, result, now, self._deps.hooks, self._deps.notifier)

    def _expire_starts(self, now: datetime, app_ids: Sequence[str] | None) -> int:
        expired = self._repo.expired_starts(now, app_ids)
        for request_id in expired:
            record = self._repo.get_for_update(request_id)
            if record is not None and record.status == IN_QUEUE:
                self._deps.metrics.gave_up(self._session, record.app_id, START_DEADLINE)
                complete(
                    self._session,
                    record,
                    start_timeout_result(),
                    now,
                    self._deps.hooks,
                    self._deps.notifier,
                )
        return len(expired)

    def _holding(self, worker: str, request_id: str, attempt: int) -> RequestRecord | None:
        record = self._repo.get_for_update(request_id)
        if (
            record is None
            or record.status != IN_PROGRESS
            or record.lease_owner != worker
            or record.attempts != attempt
        ):
            return None
        return record

    def _lease_until(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self._deps.policy.lease_seconds)


def _claim(row: Row[Any] | RequestRecord) -> Claim:
    return Claim(
        request_id=row.request_id,
        app_id=row.app_id,
        endpoint_id=row.endpoint_id,
        path=row.path,
        payload=row.input,
        attempt=row.attempts,
        headers=dict(row.headers or {}),
        runner_hint=row.runner_hint,
        owner=row.owner,
        base_url=row.base_url,
    )


def _storable_event(event: tuple[str, Any], now: datetime) -> tuple[str, Any]:
    """An event as given, or, when it cannot be stored as JSON (a partial output with NaN,
    from an app or a remote worker), an error line in the request's logs saying so."""
    kind, data = event
    flaw = unstorable_json(data)
    if flaw is None:
        return event
    line = f"A {storable_text(str(kind))[:32]} event was dropped: it has {describe_flaw(flaw)}"
    return "log", {
        "message": line,
        "level": "ERROR",
        "source": "USER",
        "timestamp": now.isoformat(),
        "labels": {},
    }
