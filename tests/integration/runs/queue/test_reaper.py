"""``LeaseService.reap``: leases that ran out and start deadlines that passed, on a clock
the test moves (no sleeps)."""

from __future__ import annotations

from tests.integration.runs.queue.conftest import LEASE_SECONDS, QueueCore


def test_the_reaper_takes_a_lease_only_once_it_expired(queue: QueueCore) -> None:
    submitted = queue.submit()
    [claim] = queue.claim("w1")

    queue.clock.advance(LEASE_SECONDS - 1)
    assert queue.reap() == 0
    assert queue.record(submitted.request_id).lease_owner == "w1"

    queue.clock.advance(2)
    assert queue.reap() == 1

    record = queue.record(submitted.request_id)
    assert (record.status, record.lease_owner, record.lease_expires_at) == ("IN_QUEUE", None, None)
    assert (record.attempts, record.result_status) == (1, None)
    assert queue.heartbeat("w1", [claim.request_id]).lost == [claim.request_id]
    assert not queue.finish("w1", claim)
    assert [again.attempt for again in queue.claim("w2")] == [2]


def test_heartbeats_keep_a_lease_past_its_first_expiry(queue: QueueCore) -> None:
    submitted = queue.submit()
    [claim] = queue.claim("w1")

    queue.clock.advance(LEASE_SECONDS * 2 / 3)
    assert queue.heartbeat("w1", [claim.request_id]).lost == []
    queue.clock.advance(LEASE_SECONDS * 2 / 3)  # past the lease the claim gave
    assert queue.reap() == 0
    assert queue.record(submitted.request_id).lease_owner == "w1"

    queue.clock.advance(LEASE_SECONDS / 3 + 1)  # past the renewed lease, no heartbeat since
    assert queue.reap() == 1
    assert queue.record(submitted.request_id).status == "IN_QUEUE"


def test_expired_leases_count_attempts_not_runner_crashes(queue: QueueCore) -> None:
    submitted = queue.submit()
    for worker in ("w1", "w2"):
        queue.claim(worker)
        queue.clock.advance(LEASE_SECONDS + 1)
        assert queue.reap() == 1

    record = queue.record(submitted.request_id)
    assert (record.status, record.attempts, record.runner_crashes) == ("IN_QUEUE", 2, 0)


def test_an_expired_lease_on_the_last_attempt_fails_with_runner_disconnected(
    queue: QueueCore,
) -> None:
    submitted = queue.submit(no_retry=True)
    queue.claim("w1")
    queue.clock.advance(LEASE_SECONDS + 1)

    assert queue.reap() == 1

    record = queue.record(submitted.request_id)
    assert (record.status, record.result_status, record.error_type) == (
        "COMPLETED",
        503,
        "runner_disconnected",
    )
    assert record.completed_at == queue.clock.now()
    assert record.runner_crashes == 0
    assert len(queue.completions(submitted.request_id)) == 1
    assert queue.reap() == 0


def test_a_missed_start_deadline_is_never_claimed_and_the_reaper_fails_it(
    queue: QueueCore,
) -> None:
    missed = queue.submit(start_timeout=5.0)
    waiting = queue.submit(start_timeout=60.0)
    queue.clock.advance(6)

    assert [claim.request_id for claim in queue.claim("w1", limit=1)] == [waiting.request_id]
    assert queue.reap() == 1

    record = queue.record(missed.request_id)
    assert (record.status, record.result_status, record.error_type) == (
        "COMPLETED",
        504,
        "request_timeout",
    )
    assert record.result_headers["X-Fal-Request-Timeout-Type"] == "user"
    assert record.attempts == 0
    assert len(queue.completions(missed.request_id)) == 1
    assert queue.reap() == 0


def test_a_start_deadline_does_not_apply_once_the_request_started(queue: QueueCore) -> None:
    submitted = queue.submit(start_timeout=5.0)
    [claim] = queue.claim("w1")
    queue.clock.advance(LEASE_SECONDS - 1)

    assert queue.reap() == 0
    assert queue.finish("w1", claim)
    assert queue.record(submitted.request_id).result_status == 200
