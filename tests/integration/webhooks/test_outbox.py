"""The outbox on both databases: claims, fencing, the retry schedule and giving up."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest

from impasto.models import WebhookDelivery
from impasto.webhooks.outbox import CLAIM_MARGIN_SECONDS
from impasto.webhooks.records import AttemptOutcome, AttemptResult, DeliveryState
from tests.integration.webhooks.conftest import Hooks

URL = "https://hooks.example.com/fal"
FAILED = AttemptResult(status_code=500)
OK = AttemptResult(status_code=204)


def row(hooks: Hooks, delivery_id: str) -> WebhookDelivery:
    with hooks.container.database.session(write=False) as session:
        found = session.get(WebhookDelivery, delivery_id)
        assert found is not None
        return found


def test_enqueue_stores_the_body_and_is_due_at_once(make_hooks: Callable[..., Hooks]) -> None:
    hooks = make_hooks()
    delivery_id = hooks.enqueue("req-1", URL, output={"images": []})
    stored = row(hooks, delivery_id)
    assert stored.state == DeliveryState.PENDING
    assert stored.attempts == 0
    assert stored.next_attempt_at == hooks.clock.now()
    assert stored.body == (
        '{"request_id":"req-1","gateway_request_id":"req-1","status":"OK","payload":{"images":[]}}'
    )
    [claimed] = hooks.container.webhooks.outbox.claim_due(10)
    assert (claimed.delivery_id, claimed.attempt, claimed.owner) == (delivery_id, 1, "acme")
    assert claimed.body == stored.body


def test_enqueue_rolls_back_with_the_completion(make_hooks: Callable[..., Hooks]) -> None:
    hooks = make_hooks()
    hooks.add_request("req-1")

    def complete() -> None:
        with hooks.container.database.session(write=True) as session:
            hooks.container.webhooks.outbox.enqueue(
                session,
                request_id="req-1",
                owner="acme",
                url=URL,
                result_status=200,
                output={},
                error=None,
            )
            raise RuntimeError("the completion failed")

    with pytest.raises(RuntimeError):
        complete()
    assert hooks.container.webhooks.outbox.claim_due(10) == []


def test_a_claimed_row_is_not_claimed_again_until_its_attempt_times_out(
    make_hooks: Callable[..., Hooks],
) -> None:
    hooks = make_hooks(webhook_timeout_seconds=15)
    outbox = hooks.container.webhooks.outbox
    delivery_id = hooks.enqueue("req-1", URL)
    assert [c.attempt for c in outbox.claim_due(10)] == [1]
    assert outbox.claim_due(10) == []
    hooks.clock.advance(15 + CLAIM_MARGIN_SECONDS - 1)
    assert outbox.claim_due(10) == []
    hooks.clock.advance(1)
    # The sender of attempt 1 never reported back: the row falls due again as attempt 2.
    [again] = outbox.claim_due(10)
    assert again.attempt == 2
    # A late report of attempt 1 is fenced off; attempt 2's report counts.
    assert outbox.record_attempt(delivery_id, 1, OK) is AttemptOutcome.STALE
    assert outbox.record_attempt(delivery_id, 2, OK) is AttemptOutcome.DELIVERED
    assert row(hooks, delivery_id).state == DeliveryState.DELIVERED


def test_failures_follow_the_schedule_then_give_up(make_hooks: Callable[..., Hooks]) -> None:
    hooks = make_hooks(webhook_max_attempts=4, webhook_retry_window_seconds=70)
    outbox = hooks.container.webhooks.outbox
    delivery_id = hooks.enqueue("req-1", URL)
    waits = []
    for attempt in range(1, 4):
        [claimed] = outbox.claim_due(10)
        assert claimed.attempt == attempt
        assert outbox.record_attempt(delivery_id, attempt, FAILED) is AttemptOutcome.RETRY
        stored = row(hooks, delivery_id)
        assert (stored.attempts, stored.last_status_code) == (attempt, 500)
        wait = (stored.next_attempt_at - hooks.clock.now()).total_seconds()
        waits.append(wait)
        hooks.clock.advance(wait - 1)
        assert outbox.claim_due(10) == []  # not due before its time
        hooks.clock.advance(1)
    assert waits == pytest.approx([10, 20, 40])  # doubling, summing to the window
    [last] = outbox.claim_due(10)
    timeout = AttemptResult(error="timed out after 15 s")
    assert outbox.record_attempt(delivery_id, last.attempt, timeout) is AttemptOutcome.FAILED
    stored = row(hooks, delivery_id)
    assert (stored.state, stored.attempts, stored.last_error) == ("failed", 4, timeout.error)
    assert stored.delivered_at is None
    hooks.clock.advance(3600)
    assert outbox.claim_due(10) == []


def test_an_abandoned_last_attempt_ends_failed(make_hooks: Callable[..., Hooks]) -> None:
    hooks = make_hooks(webhook_max_attempts=1)
    outbox = hooks.container.webhooks.outbox
    delivery_id = hooks.enqueue("req-1", URL)
    assert len(outbox.claim_due(10)) == 1
    hooks.clock.advance(3600)
    assert outbox.claim_due(10) == []
    assert row(hooks, delivery_id).state == DeliveryState.FAILED


def test_due_rows_come_oldest_first_within_the_limit(make_hooks: Callable[..., Hooks]) -> None:
    hooks = make_hooks()
    ids = []
    for n in range(5):
        ids.append(hooks.enqueue(f"req-{n}", URL))
        hooks.clock.advance(1)
    outbox = hooks.container.webhooks.outbox
    assert [c.delivery_id for c in outbox.claim_due(3)] == ids[:3]
    assert [c.delivery_id for c in outbox.claim_due(3)] == ids[3:]


def test_concurrent_claims_never_share_a_row(make_hooks: Callable[..., Hooks]) -> None:
    hooks = make_hooks()
    expected = {hooks.enqueue(f"req-{n}", URL) for n in range(40)}
    outbox = hooks.container.webhooks.outbox
    start = threading.Barrier(4)
    claimed: list[list[str]] = [[] for _ in range(4)]

    def claim(slot: int) -> None:
        start.wait()
        while batch := outbox.claim_due(3):
            claimed[slot].extend(c.delivery_id for c in batch)

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [delivery_id for part in claimed for delivery_id in part]
    assert len(every) == len(set(every)) == len(expected)
    assert set(every) == expected


def test_claims_are_counted_as_attempts(make_hooks: Callable[..., Hooks]) -> None:
    hooks = make_hooks()
    delivery_id = hooks.enqueue("req-1", URL)
    hooks.container.webhooks.outbox.claim_due(1)
    stored = row(hooks, delivery_id)
    assert stored.attempts == 1
    assert stored.next_attempt_at > hooks.clock.now() + timedelta(seconds=15)
