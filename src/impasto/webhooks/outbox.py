"""The webhook outbox: rows written with a request's completion, then claimed and sent.

``enqueue`` runs inside the transaction that completes the request, so a webhook exists
exactly when the completion was committed. Senders claim due rows in their own short
transactions: claiming counts the attempt and pushes ``next_attempt_at`` past the attempt
timeout, so no other sender takes the row meanwhile, and a crashed sender's claim simply
falls due again. The attempt number fences the result: a sender whose claim expired and
was taken over cannot overwrite the newer attempt. Delivery is at least once; receivers
deduplicate on ``request_id``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from impasto.kit.clock import Clock
from impasto.kit.db import Database
from impasto.kit.ids import IdGenerator
from impasto.models import WebhookDelivery
from impasto.webhooks.backoff import RetryPolicy
from impasto.webhooks.metrics import WebhookMetrics
from impasto.webhooks.payload import build_webhook_body
from impasto.webhooks.records import (
    AttemptOutcome,
    AttemptResult,
    ClaimedDelivery,
    DeliveryState,
)
from impasto.webhooks.repository import WebhookRepository

CLAIM_MARGIN_SECONDS = 10.0  # time to record the result after the attempt's own timeout
MAX_ERROR_LENGTH = 500
ABANDONED = "the sender stopped during the last attempt"


class WebhookOutbox:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        ids: IdGenerator,
        policy: RetryPolicy,
        *,
        attempt_timeout: float,
        metrics: WebhookMetrics,
    ) -> None:
        self.database = database
        self.policy = policy
        self._metrics = metrics
        self._clock = clock
        self._ids = ids
        self._claim_for = timedelta(seconds=attempt_timeout + CLAIM_MARGIN_SECONDS)

    def enqueue(
        self,
        session: Session,
        *,
        request_id: str,
        owner: str,
        url: str,
        result_status: int | None,
        output: Any,
        error: str | None,
        gateway_request_id: str | None = None,
    ) -> str:
        """Add the webhook for a finished request to ``session`` (flushed, not committed).

        ``url`` must have passed ``validate_webhook_url`` at submit time. Returns the id.
        """
        now = self._clock.now()
        body = build_webhook_body(
            request_id, gateway_request_id or request_id, result_status, output, error
        )
        delivery_id = self._ids.new()
        WebhookRepository(session).add(
            WebhookDelivery(
                delivery_id=delivery_id,
                request_id=request_id,
                owner=owner,
                url=url,
                body=body,
                state=DeliveryState.PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        return delivery_id

    def claim_due(self, limit: int) -> list[ClaimedDelivery]:
        """Claim up to ``limit`` due deliveries for one attempt each (own transaction)."""
        now = self._clock.now()
        claimed: list[ClaimedDelivery] = []
        # Polls mostly find nothing: ask a reader first, so an idle poll never takes
        # SQLite's one write lock.
        with self.database.session(write=False) as session:
            if not WebhookRepository(session).any_due(now):
                return claimed
        with self.database.session(write=True) as session:
            repo = WebhookRepository(session)
            for row in repo.lock_due(now, limit):
                if row.attempts >= self.policy.max_attempts:
                    # Its last attempt was claimed by a sender that never reported back.
                    row.state = DeliveryState.FAILED
                    row.last_error = row.last_error or ABANDONED
                    continue
                row.attempts += 1
                row.next_attempt_at = now + self._claim_for
                claimed.append(
                    ClaimedDelivery(
                        delivery_id=row.delivery_id,
                        request_id=row.request_id,
                        owner=row.owner,
                        url=row.url,
                        body=row.body,
                        attempt=row.attempts,
                    )
                )
            repo.flush()
        return claimed

    def record_attempt(
        self, delivery_id: str, attempt: int, result: AttemptResult
    ) -> AttemptOutcome:
        """Delivered, rescheduled with backoff, or failed after the last attempt."""
        now = self._clock.now()
        waited: float | None = None
        with self.database.session(write=True) as session:
            repo = WebhookRepository(session)
            row = repo.lock_attempt(delivery_id, attempt)
            if row is None:
                return AttemptOutcome.STALE
            row.last_status_code = result.status_code
            row.last_error = _clip(result.error)
            if result.delivered:
                row.state = DeliveryState.DELIVERED
                row.delivered_at = now
                waited = (now - row.created_at).total_seconds()  # enqueued on completion
                outcome = AttemptOutcome.DELIVERED
            else:
                delay = self.policy.delay_after(attempt)
                if delay is None:
                    row.state = DeliveryState.FAILED
                    outcome = AttemptOutcome.FAILED
                else:
                    row.next_attempt_at = now + timedelta(seconds=delay)
                    outcome = AttemptOutcome.RETRY
            repo.flush()
        if waited is not None:  # committed
            self._metrics.latency.observe(max(0.0, waited))
        return outcome


def _clip(text: str | None) -> str | None:
    if text is None or len(text) <= MAX_ERROR_LENGTH:
        return text
    return text[: MAX_ERROR_LENGTH - 1] + "…"
