"""The webhook series on both databases: the outbox's size as scraped, and the time from a
request's completion to its webhook's delivery (on the frozen clock)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from impasto.kit.gauges import SCRAPE_TTL_SECONDS
from impasto.webhooks.records import AttemptResult
from tests.integration.webhooks.conftest import Hooks
from tests.scrape import Scrape, scrape_registry

URL = "https://hooks.example.com/fal"
STEP = SCRAPE_TTL_SECONDS + 1  # past the scraped gauge's cache


def metrics(hooks: Hooks) -> Scrape:
    return scrape_registry(hooks.container.registry)


def outbox(hooks: Hooks) -> dict[str, float | None]:
    found = metrics(hooks)
    return {
        state: found.value("impasto_webhook_outbox", state=state) for state in ("new", "attempted")
    }


def test_the_outbox_gauge_counts_pending_rows_by_state(make_hooks: Callable[..., Hooks]) -> None:
    hooks = make_hooks()
    assert outbox(hooks) == {"new": 0, "attempted": 0}
    hooks.enqueue("req-1", URL)
    hooks.enqueue("req-2", URL)
    hooks.enqueue("req-3", URL)
    hooks.clock.advance(STEP)
    assert outbox(hooks) == {"new": 3, "attempted": 0}

    outbox_ = hooks.container.webhooks.outbox
    first, second = outbox_.claim_due(2)
    hooks.clock.advance(STEP)
    assert outbox(hooks) == {"new": 1, "attempted": 2}

    outbox_.record_attempt(first.delivery_id, first.attempt, AttemptResult(status_code=204))
    outbox_.record_attempt(second.delivery_id, second.attempt, AttemptResult(status_code=500))
    hooks.clock.advance(STEP)
    # Delivered rows are history; the failed attempt waits for its retry.
    assert outbox(hooks) == {"new": 1, "attempted": 1}


def test_delivery_latency_runs_from_the_completion(make_hooks: Callable[..., Hooks]) -> None:
    hooks = make_hooks()
    hooks.enqueue("req-1", URL)  # with the request's completion
    hooks.clock.advance(7)
    outbox_ = hooks.container.webhooks.outbox
    [claimed] = outbox_.claim_due(1)
    outbox_.record_attempt(claimed.delivery_id, claimed.attempt, AttemptResult(status_code=500))
    assert metrics(hooks).count("impasto_webhook_delivery_seconds_count") == 0

    hooks.clock.advance(outbox_.policy.delay_after(1) or 0)
    [again] = outbox_.claim_due(1)
    hooks.clock.advance(3)
    outbox_.record_attempt(again.delivery_id, again.attempt, AttemptResult(status_code=200))
    found = metrics(hooks)
    assert found.value("impasto_webhook_delivery_seconds_count") == 1
    waited = 7 + (outbox_.policy.delay_after(1) or 0) + 3
    # The database keeps microseconds: the schedule's fractions of them are lost.
    assert found.value("impasto_webhook_delivery_seconds_sum") == pytest.approx(waited, abs=1e-5)


def test_a_stale_attempt_observes_nothing(make_hooks: Callable[..., Hooks]) -> None:
    hooks = make_hooks()
    hooks.enqueue("req-1", URL)
    outbox_ = hooks.container.webhooks.outbox
    [claimed] = outbox_.claim_due(1)
    outbox_.record_attempt(claimed.delivery_id, claimed.attempt + 1, AttemptResult(status_code=200))
    assert metrics(hooks).count("impasto_webhook_delivery_seconds_count") == 0
