"""Finishing a request: the one place that writes a result, whoever produced it.

A worker's answer, a cancel in the queue, a missed start deadline and a request that ran
out of attempts all end here, in the caller's transaction, together with what must happen
exactly once per request (the webhook in the outbox, popularity, asset indexing): the
completion hooks run in the same transaction, so either all of it commits or none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from impasto.models import RequestRecord
from impasto.runs.notifier import Notifier, request_topic
from impasto.runs.repository import COMPLETED

CompletionHook = Callable[[Session, RequestRecord], None]

# The platform's own failures, with fal's error types (§5.1).
TIMEOUT_MESSAGE = "Request timed out"
CANCELLED_MESSAGE = "Request cancelled"


@dataclass(frozen=True)
class Result:
    status_code: int
    body: Any
    error: str | None = None
    error_type: str | None = None
    headers: Mapping[str, str] | None = None
    inference_time: float | None = None


def platform_failure(
    status_code: int, error: str, error_type: str, headers: Mapping[str, str] | None = None
) -> Result:
    return Result(
        status_code=status_code,
        body={"detail": error, "error_type": error_type},
        error=error,
        error_type=error_type,
        headers={"X-Fal-Error-Type": error_type, **(headers or {})},
    )


def start_timeout_result() -> Result:
    return platform_failure(
        504, TIMEOUT_MESSAGE, "request_timeout", {"X-Fal-Request-Timeout-Type": "user"}
    )


def cancelled_result() -> Result:
    return platform_failure(499, CANCELLED_MESSAGE, "client_cancelled")


def complete(
    session: Session,
    record: RequestRecord,
    result: Result,
    now: datetime,
    hooks: Sequence[CompletionHook],
    notifier: Notifier,
) -> None:
    record.status = COMPLETED
    record.result_status = result.status_code
    record.output = result.body
    record.error = result.error
    record.error_type = result.error_type
    record.result_headers = dict(result.headers or {})
    record.inference_time = result.inference_time
    record.completed_at = now
    record.lease_owner = None
    record.lease_expires_at = None
    if not record.store_io:
        record.input = None
    session.flush()
    for hook in hooks:
        hook(session, record)
    notify_after_commit(session, notifier, request_topic(record.request_id))


def notify_after_commit(session: Session, notifier: Notifier, topic: str) -> None:
    """Wake waiters once the transaction is visible to them, not before."""
    pending: set[str] | None = session.info.get("impasto_notify")
    if pending is None:
        pending = session.info["impasto_notify"] = set()

        @event.listens_for(session, "after_commit", once=True)
        def _send(_: Session) -> None:
            topics = session.info.pop("impasto_notify", set())
            for name in topics:
                notifier.notify(name)

        @event.listens_for(session, "after_rollback", once=True)
        def _drop(_: Session) -> None:
            session.info.pop("impasto_notify", None)

    pending.add(topic)
