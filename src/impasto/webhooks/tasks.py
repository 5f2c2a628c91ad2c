"""The sender loop: claims due webhooks, POSTs them, records each attempt.

Started by the app's lifespan (``delivering``). It wakes every ``interval`` seconds, or
at once when this process commits a webhook and calls ``Webhooks.kick``. Every server
process may run one: claims never overlap (see ``outbox``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from anyio import to_thread

from impasto.kit.background import every
from impasto.kit.logging import get_logger
from impasto.webhooks.core import Webhooks
from impasto.webhooks.records import AttemptOutcome, ClaimedDelivery

BATCH = 32  # attempts in flight at once per process
_log = get_logger(__name__)


class WebhookDeliverer:
    def __init__(self, webhooks: Webhooks, *, batch: int = BATCH) -> None:
        self._webhooks = webhooks
        self._batch = batch

    async def deliver_due(self) -> dict[AttemptOutcome, int]:
        """Claim and attempt every due webhook, batch after batch, until none is due."""
        outcomes: dict[AttemptOutcome, int] = {}
        outbox = self._webhooks.outbox
        while True:
            claimed = await to_thread.run_sync(outbox.claim_due, self._batch)
            if not claimed:
                return outcomes
            results: list[AttemptOutcome] = []
            async with anyio.create_task_group() as group:
                for delivery in claimed:
                    group.start_soon(self._attempt, delivery, results)
            for outcome in results:
                outcomes[outcome] = outcomes.get(outcome, 0) + 1

    async def _attempt(self, delivery: ClaimedDelivery, results: list[AttemptOutcome]) -> None:
        result = await self._webhooks.sender.send(delivery)
        outcome = await to_thread.run_sync(
            self._webhooks.outbox.record_attempt, delivery.delivery_id, delivery.attempt, result
        )
        results.append(outcome)
        if outcome is not AttemptOutcome.STALE:
            self._webhooks.metrics.deliveries.labels(outcome.value).inc()
        log = _log.info if outcome is AttemptOutcome.DELIVERED else _log.warning
        log(
            "webhook.attempt",
            delivery_id=delivery.delivery_id,
            request_id=delivery.request_id,
            attempt=delivery.attempt,
            outcome=outcome.value,
            status_code=result.status_code,
            error=result.error,
        )


@asynccontextmanager
async def delivering(webhooks: Webhooks, interval: float) -> AsyncIterator[None]:
    """Run the sender in the background for the duration of the block (0: not at all)."""
    if interval <= 0:
        yield
        return
    deliverer = WebhookDeliverer(webhooks)

    async def deliver() -> None:
        await deliverer.deliver_due()

    wakeup = webhooks.wakeup.bind()
    try:
        async with every(
            interval,
            deliver,
            name="webhook-sender",
            log=_log,
            failure="webhook_delivery_failed",
            wakeup=wakeup,
        ):
            yield
    finally:
        webhooks.wakeup.unbind()
