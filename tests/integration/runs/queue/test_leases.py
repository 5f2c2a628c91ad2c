"""``LeaseService``: claim, heartbeat, release and finish, fenced by worker and attempt.

The test is the worker (see conftest.py): every write names the worker and the attempt it
holds, and is applied only while that worker still holds that attempt.
"""

from __future__ import annotations

from datetime import timedelta

from impasto.runs.queue.completion import platform_failure
from impasto.runs.queue.leases import CRASHED, CRASHED_TWICE
from impasto.runs.queue.notifier import request_topic
from tests.integration.runs.queue.conftest import (
    BASE_URL,
    DEBUG,
    LEASE_SECONDS,
    MAX_ATTEMPTS,
    SERIAL,
    QueueCore,
)

CRASH = platform_failure(503, "Runner disconnected", CRASHED)
NOT_STARTED = platform_failure(503, "The runner did not start", "runner_not_started")


def test_a_claim_takes_normal_priority_first_then_the_oldest(queue: QueueCore) -> None:
    low_first = queue.submit(priority=1)
    normal_first = queue.submit()
    low_second = queue.submit(priority=1)
    normal_second = queue.submit()

    taken = [queue.claim("w1", limit=1), queue.claim("w1", limit=2), queue.claim("w1", limit=5)]

    assert [[claim.request_id for claim in claims] for claims in taken] == [
        [normal_first.request_id],
        [normal_second.request_id, low_first.request_id],
        [low_second.request_id],
    ]


def test_a_claim_takes_at_most_its_limit_and_never_a_claimed_request(queue: QueueCore) -> None:
    first, second, third = (queue.submit() for _ in range(3))

    assert queue.claim("w1", limit=0) == []
    mine = queue.claim("w1", limit=2)
    theirs = queue.claim("w2", limit=5)

    assert [claim.request_id for claim in mine] == [first.request_id, second.request_id]
    assert [claim.request_id for claim in theirs] == [third.request_id]
    assert queue.claim("w1", limit=5) == []
    assert queue.claim("w2", limit=5) == []
    assert {queue.record(claim.request_id).lease_owner for claim in mine} == {"w1"}
    assert queue.record(third.request_id).lease_owner == "w2"


def test_a_claim_leases_the_request_and_counts_the_attempt(queue: QueueCore) -> None:
    submitted = queue.submit(payload={"payload": 7})
    queue.clock.advance(3)
    notified = len(queue.notifier.sent)

    [claim] = queue.claim("w1")

    assert (claim.request_id, claim.app_id, claim.path, claim.attempt) == (
        submitted.request_id,
        DEBUG,
        "/",
        1,
    )
    assert (claim.payload, claim.owner, claim.base_url) == ({"payload": 7}, "acme", BASE_URL)
    record = queue.record(claim.request_id)
    assert record.status == "IN_PROGRESS"
    assert record.lease_owner == "w1"
    assert record.lease_expires_at == queue.clock.now() + timedelta(seconds=LEASE_SECONDS)
    assert record.started_at == queue.clock.now()
    assert record.attempts == 1
    # Status streams of the request are woken once the claim commits.
    assert queue.notifier.sent[notified:] == [request_topic(claim.request_id)]


def test_a_claim_takes_only_the_named_apps_requests(queue: QueueCore) -> None:
    debug = queue.submit(DEBUG)
    serial = queue.submit(SERIAL, {"gate": None})

    assert [claim.request_id for claim in queue.claim("w1", app_id=SERIAL)] == [serial.request_id]
    assert [claim.request_id for claim in queue.claim("w1", app_id=DEBUG)] == [debug.request_id]


def test_a_heartbeat_renews_held_leases_and_names_lost_and_cancelled_ones(
    queue: QueueCore,
) -> None:
    kept, cancelled = queue.submit(), queue.submit()
    queue.claim("w1")
    queue.clock.advance(20)
    assert queue.cancel(cancelled.request_id) == "CANCELLATION_REQUESTED"

    beat = queue.heartbeat("w1", [kept.request_id, cancelled.request_id, "req-unknown"])
    other = queue.heartbeat("w2", [kept.request_id])

    assert beat.cancel == [cancelled.request_id]
    assert beat.lost == ["req-unknown"]
    assert other.lost == [kept.request_id]  # another worker's lease is not renewed by it
    renewed = queue.clock.now() + timedelta(seconds=LEASE_SECONDS)
    assert queue.record(kept.request_id).lease_expires_at == renewed
    assert queue.record(kept.request_id).lease_owner == "w1"


def test_a_release_with_attempts_left_queues_the_request_again(queue: QueueCore) -> None:
    submitted = queue.submit()
    [first] = queue.claim("w1")

    assert queue.release("w1", first, NOT_STARTED)

    record = queue.record(submitted.request_id)
    assert (record.status, record.lease_owner, record.lease_expires_at) == ("IN_QUEUE", None, None)
    assert (record.attempts, record.runner_crashes, record.result_status) == (1, 0, None)
    [second] = queue.claim("w2")
    assert (second.request_id, second.attempt) == (submitted.request_id, 2)
    assert queue.completions(submitted.request_id) == []


def test_a_release_of_the_last_attempt_completes_with_the_runner_disconnected(
    queue: QueueCore,
) -> None:
    submitted = queue.submit(no_retry=True)
    [claim] = queue.claim("w1")

    assert queue.release("w1", claim, CRASH)

    record = queue.record(submitted.request_id)
    assert (record.status, record.result_status, record.error_type) == (
        "COMPLETED",
        503,
        "runner_disconnected",
    )
    assert (record.attempts, record.max_attempts, record.lease_owner) == (1, 1, None)
    assert queue.claim("w1") == []
    assert len(queue.completions(submitted.request_id)) == 1


def test_the_second_runner_crash_fails_the_request_whatever_attempts_remain(
    queue: QueueCore,
) -> None:
    submitted = queue.submit()
    [first] = queue.claim("w1")
    assert queue.release("w1", first, CRASH)  # crash 1: tried again
    [second] = queue.claim("w1")
    assert queue.release("w1", second, NOT_STARTED)  # not a crash: counts the attempt only
    assert queue.record(submitted.request_id).runner_crashes == 1
    [third] = queue.claim("w1")

    assert queue.release("w1", third, CRASH)

    record = queue.record(submitted.request_id)
    assert third.attempt < MAX_ATTEMPTS
    assert (record.status, record.result_status, record.error_type, record.error) == (
        "COMPLETED",
        503,
        "runner_disconnected",
        CRASHED_TWICE,
    )
    assert record.runner_crashes == 2
    assert len(queue.completions(submitted.request_id)) == 1


def test_a_release_by_a_worker_without_the_attempt_is_refused(queue: QueueCore) -> None:
    submitted = queue.submit()
    [claim] = queue.claim("w1")

    assert not queue.release("w2", claim, CRASH)
    with queue.leases() as leases:
        assert not leases.release("w1", claim.request_id, claim.attempt + 1, CRASH)

    record = queue.record(submitted.request_id)
    assert (record.status, record.lease_owner, record.runner_crashes) == ("IN_PROGRESS", "w1", 0)


def test_a_stale_workers_finish_is_dropped_and_one_result_is_written(queue: QueueCore) -> None:
    submitted = queue.submit()
    [stale] = queue.claim("w1")
    queue.clock.advance(LEASE_SECONDS + 1)
    assert queue.reap() == 1  # w1 went quiet: its lease is taken back
    [current] = queue.claim("w2")
    assert current.attempt == stale.attempt + 1

    late = platform_failure(500, "late", "runner_server_error")
    assert not queue.finish("w1", stale, late)  # the old attempt, from the old worker
    assert not queue.finish("w1", current, late)  # the new attempt, from the old worker
    assert not queue.finish("w2", stale, late)  # the new worker, naming the old attempt
    assert queue.finish("w2", current)
    assert not queue.finish("w2", current, late)  # once completed, nothing else lands

    record = queue.record(submitted.request_id)
    assert (record.status, record.result_status, record.output) == ("COMPLETED", 200, {"ok": True})
    assert (record.lease_owner, record.lease_expires_at, record.attempts) == (None, None, 2)
    [seen] = queue.completions(submitted.request_id)
    assert (seen.done.result_status, seen.done.output) == (200, {"ok": True})


def test_a_report_from_a_worker_without_the_attempt_stores_nothing(queue: QueueCore) -> None:
    submitted = queue.submit()
    [claim] = queue.claim("w1")
    line = {"message": "hello", "level": "INFO"}

    with queue.leases() as leases:
        assert not leases.report("w2", claim.request_id, claim.attempt, [("log", line)])
        assert leases.report("w1", claim.request_id, claim.attempt, [("log", line)])

    assert queue.logs(submitted.request_id) == [line]
