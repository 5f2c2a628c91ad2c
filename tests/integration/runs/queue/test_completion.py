"""Completion: whoever completes a request (a worker's answer, a cancel in the queue, a
missed start deadline, the last attempt failing), the hooks run once, in the completing
transaction, and a hook that raises takes the completion back with it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from impasto.runs.queue.completion import platform_failure
from impasto.runs.queue.leases import CRASHED
from impasto.runs.queue.notifier import CANCEL_TOPIC, request_topic
from impasto.runs.queue.service import RequestNotFound
from tests.integration.runs.queue.conftest import LEASE_SECONDS, HookFailed, QueueCore

# Each way a request completes: (submit it, complete it) -> the result status it gets.
Completer = Callable[[QueueCore], str]


def _finished(queue: QueueCore) -> str:
    request_id = queue.submit().request_id
    [claim] = queue.claim("w1")
    queue.finish("w1", claim)
    return request_id


def _cancelled_in_queue(queue: QueueCore) -> str:
    request_id = queue.submit().request_id
    queue.cancel(request_id)
    return request_id


def _missed_start(queue: QueueCore) -> str:
    request_id = queue.submit(start_timeout=1.0).request_id
    queue.clock.advance(2)
    queue.reap()
    return request_id


def _out_of_attempts(queue: QueueCore) -> str:
    request_id = queue.submit(no_retry=True).request_id
    [claim] = queue.claim("w1")
    queue.release("w1", claim, platform_failure(503, "Runner disconnected", CRASHED))
    return request_id


def _lease_expired(queue: QueueCore) -> str:
    request_id = queue.submit(no_retry=True).request_id
    queue.claim("w1")
    queue.clock.advance(LEASE_SECONDS + 1)
    queue.reap()
    return request_id


# How: (complete one request, its result status, its status when that is rolled back).
COMPLETERS: dict[str, tuple[Completer, int, str]] = {
    "finish": (_finished, 200, "IN_PROGRESS"),
    "cancel in the queue": (_cancelled_in_queue, 499, "IN_QUEUE"),
    "missed start": (_missed_start, 504, "IN_QUEUE"),
    "out of attempts": (_out_of_attempts, 503, "IN_PROGRESS"),
    "lease expired": (_lease_expired, 503, "IN_PROGRESS"),
}


@pytest.mark.parametrize("way", list(COMPLETERS))
def test_completion_hooks_run_once_in_the_completing_transaction(
    queue: QueueCore, way: str
) -> None:
    complete, status, _ = COMPLETERS[way]
    endpoint = "impasto/debug"
    before = queue.popularity(endpoint)

    request_id = complete(queue)

    [seen] = queue.completions(request_id)
    # The hook ran inside the transaction that wrote the result: it already reads COMPLETED.
    assert seen.status_in_transaction == "COMPLETED"
    assert (seen.done.owner, seen.done.endpoint_id, seen.done.result_status) == (
        "acme",
        endpoint,
        status,
    )
    assert seen.done.completed_at == queue.clock.now()
    record = queue.record(request_id)
    assert (record.status, record.result_status) == ("COMPLETED", status)
    assert queue.popularity(endpoint) == before + 1  # the container's own hook, once
    assert request_topic(request_id) in queue.notifier.sent


@pytest.mark.parametrize("way", list(COMPLETERS))
def test_a_hook_that_raises_rolls_the_completion_back(queue: QueueCore, way: str) -> None:
    complete, _, before_status = COMPLETERS[way]
    endpoint = "impasto/debug"
    before = queue.popularity(endpoint)
    queue.hook_fails = True

    with pytest.raises(HookFailed):
        complete(queue)

    [seen] = queue.seen  # the hook ran, and raised
    request_id = seen.done.request_id
    record = queue.record(request_id)
    assert record.status == before_status
    assert (record.result_status, record.completed_at, record.output) == (None, None, None)
    assert (record.runner_crashes, record.cancel_requested) == (0, False)
    assert queue.popularity(endpoint) == before
    assert queue.notifier.sent[seen.sent_before :] == []  # no wake-up for what never was


def test_a_finish_taken_back_by_a_hook_can_be_sent_again(queue: QueueCore) -> None:
    submitted = queue.submit()
    [claim] = queue.claim("w1")
    queue.hook_fails = True
    with pytest.raises(HookFailed):
        queue.finish("w1", claim)

    queue.hook_fails = False
    assert queue.finish("w1", claim)

    assert queue.record(submitted.request_id).result_status == 200
    assert len(queue.completions(submitted.request_id)) == 2  # the failed run, then this one


def test_a_stale_finish_after_a_completion_runs_no_hook(queue: QueueCore) -> None:
    submitted = queue.submit()
    [claim] = queue.claim("w1")
    assert queue.finish("w1", claim)

    assert not queue.finish("w1", claim)
    assert queue.cancel(submitted.request_id) == "ALREADY_COMPLETED"
    assert queue.reap() == 0
    assert len(queue.completions(submitted.request_id)) == 1


def test_a_cancel_in_the_queue_completes_at_once(queue: QueueCore) -> None:
    submitted = queue.submit()

    assert queue.cancel(submitted.request_id) == "CANCELLATION_REQUESTED"

    record = queue.record(submitted.request_id)
    assert (record.status, record.result_status, record.error_type) == (
        "COMPLETED",
        499,
        "client_cancelled",
    )
    assert queue.claim("w1") == []
    assert queue.cancel(submitted.request_id) == "ALREADY_COMPLETED"


def test_a_cancel_of_a_running_request_asks_its_worker_to_stop(queue: QueueCore) -> None:
    submitted = queue.submit()
    [claim] = queue.claim("w1")
    sent = len(queue.notifier.sent)

    assert queue.cancel(submitted.request_id) == "CANCELLATION_REQUESTED"

    record = queue.record(submitted.request_id)
    assert (record.status, record.cancel_requested, record.lease_owner) == (
        "IN_PROGRESS",
        True,
        "w1",
    )
    assert queue.notifier.sent[sent:] == [CANCEL_TOPIC]  # wakes the worker's heartbeat
    assert queue.completions(submitted.request_id) == []
    assert queue.heartbeat("w1", [claim.request_id]).cancel == [claim.request_id]
    # The worker stops the run and releases it: a cancelled request is not tried again.
    assert queue.release("w1", claim, platform_failure(499, "Request cancelled", "cancelled"))
    record = queue.record(submitted.request_id)
    assert (record.status, record.result_status) == ("COMPLETED", 499)
    assert len(queue.completions(submitted.request_id)) == 1


def test_another_owner_cannot_cancel_a_request(queue: QueueCore) -> None:
    submitted = queue.submit(owner="acme")

    with pytest.raises(RequestNotFound):
        queue.cancel(submitted.request_id, owner="bob")

    assert queue.record(submitted.request_id).status == "IN_QUEUE"
