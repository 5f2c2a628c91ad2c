"""Finishing a request: the one place that writes a result, whoever produced it.

A worker's answer, a cancel in the queue, a missed start deadline and a request that ran
out of attempts all end here, in the caller's transaction, together with what must happen
exactly once per request (the webhook in the outbox, popularity, asset indexing): the
completion hooks run in the same transaction, so either all of it commits or none.

A worker's answer, the common case, is one fenced ``UPDATE ... RETURNING`` (``finish_held``);
the others complete a record already loaded (``complete``). Both write the same columns,
and both write only what can be stored and read back as JSON: a result body with NaN or
Infinity (PostgreSQL refuses it, SQLite keeps text no client can parse) or a lone
surrogate, from an app or a remote worker, becomes that request's 500 instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from impasto.kit.text import describe_flaw, storable_text, unstorable_json
from impasto.models import RequestRecord
from impasto.runs.queue.notifier import Notifier, request_topic
from impasto.runs.queue.repository import COMPLETED, RunRepository

NOTIFY_KEY = "impasto_notify"

# The platform's own failures, with fal's error types (§5.1).
TIMEOUT_MESSAGE = "Request timed out"
CANCELLED_MESSAGE = "Request cancelled"
INTERNAL_MESSAGE = "Internal Server Error"
ERROR_TYPE_LENGTH = 64  # the column's


@dataclass(frozen=True)
class Result:
    status_code: int
    body: Any
    error: str | None = None
    error_type: str | None = None
    headers: Mapping[str, str] | None = None
    inference_time: float | None = None


@dataclass(frozen=True, slots=True)
class Completed:
    """What the completion hooks see of a request that just completed, however it was
    written (an ORM record, or the row of finish's one ``UPDATE ... RETURNING``)."""

    request_id: str
    owner: str
    endpoint_id: str
    app_id: str
    webhook_url: str | None
    input: Any
    result_status: int
    output: Any
    error: str | None
    error_type: str | None
    started_at: datetime | None  # the first claim; None: it never left the queue
    completed_at: datetime
    parent_request_id: str | None = None  # a workflow node's run
    node_id: str | None = None
    key_id: str | None = None  # the caller's key; None: a request the platform made
    store_io: bool = True
    created_at: datetime | None = None  # submitted
    headers: Mapping[str, str] | None = None  # the result's, as the app answered them
    inference_time: float | None = None  # seconds the runner spent on it


CompletionHook = Callable[[Session, Completed], None]


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


def storable(result: Result) -> Result:
    """``result`` if it can be stored as it is; else the request's 500 saying why."""
    flaw = unstorable_json(result.body)
    headers = dict(result.headers or {})
    if flaw is None and unstorable_json(headers) is None:
        return Result(
            status_code=result.status_code,
            body=result.body,
            error=None if result.error is None else storable_text(result.error),
            error_type=None if result.error_type is None else result.error_type[:ERROR_TYPE_LENGTH],
            headers=headers,
            inference_time=result.inference_time,
        )
    what = describe_flaw(flaw) if flaw is not None else "headers that are not text"
    return Result(
        status_code=500,
        body={"detail": INTERNAL_MESSAGE},
        error=storable_text(f"The result could not be stored: it has {what}"),
        error_type="runner_server_error",
        inference_time=result.inference_time,
    )


def complete(
    session: Session,
    record: RequestRecord,
    result: Result,
    now: datetime,
    hooks: Sequence[CompletionHook],
    notifier: Notifier,
) -> None:
    result = storable(result)
    record.status = COMPLETED
    for name, value in _written(result, now).items():
        setattr(record, name, value)
    record.output = result.body
    record.lease_owner = None
    record.lease_expires_at = None
    if not record.store_io:
        record.input = None
    session.flush()
    _completed(session, _done(record, result, now), hooks, notifier)


def finish_held(
    session: Session,
    request_id: str,
    worker: str,
    attempt: int,
    result: Result,
    now: datetime,
    hooks: Sequence[CompletionHook],
    notifier: Notifier,
) -> bool:
    """``complete`` for the attempt ``worker`` holds, as one fenced statement; False (and
    nothing written) when the worker no longer holds it."""
    result = storable(result)
    values = _written(result, now)
    if result.body is not None:  # None leaves the column NULL, as ``complete`` does
        values["output"] = result.body
    row = RunRepository(session).finish(request_id, worker, attempt, values)
    if row is None:
        return False
    _completed(session, _done(row, result, now), hooks, notifier)
    return True


def _done(request: Any, result: Result, now: datetime) -> Completed:
    """``request``: the ORM record or the row ``finish`` returned (same attribute names)."""
    return Completed(
        request_id=request.request_id,
        owner=request.owner,
        endpoint_id=request.endpoint_id,
        app_id=request.app_id,
        webhook_url=request.webhook_url,
        input=request.input,
        result_status=result.status_code,
        output=result.body,
        error=result.error,
        error_type=result.error_type,
        started_at=request.started_at,
        completed_at=now,
        parent_request_id=request.parent_request_id,
        node_id=request.node_id,
        key_id=request.key_id,
        store_io=request.store_io,
        created_at=request.created_at,
        headers=result.headers,
        inference_time=result.inference_time,
    )


def _written(result: Result, now: datetime) -> dict[str, Any]:
    """The result's columns except ``output``, which its two writers each set their way."""
    return {
        "result_status": result.status_code,
        "result_headers": dict(result.headers or {}),
        "error": result.error,
        "error_type": result.error_type,
        "inference_time": result.inference_time,
        "completed_at": now,
    }


def _completed(
    session: Session, done: Completed, hooks: Sequence[CompletionHook], notifier: Notifier
) -> None:
    for hook in hooks:
        hook(session, done)
    notify_after_commit(session, notifier, request_topic(done.request_id))


def notify_after_commit(session: Session, notifier: Notifier, topic: str) -> None:
    """Wake waiters once the transaction is visible to them, not before."""
    pending: dict[Notifier, set[str]] = session.info.setdefault(NOTIFY_KEY, {})
    pending.setdefault(notifier, set()).add(topic)


# Listening on the Session class, once, rather than on each session that notifies:
# registering two listeners on an instance cost ~0.1 ms a transaction (bench/README.md).
@event.listens_for(Session, "after_commit")
def _send(session: Session) -> None:
    pending: dict[Notifier, set[str]] | None = session.info.pop(NOTIFY_KEY, None)
    for notifier, topics in (pending or {}).items():
        for topic in topics:
            notifier.notify(topic)


@event.listens_for(Session, "after_rollback")
def _drop(session: Session) -> None:
    session.info.pop(NOTIFY_KEY, None)
