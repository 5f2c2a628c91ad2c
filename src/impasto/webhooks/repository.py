"""SQL for the webhook outbox. Flushes, never commits; raises no HTTP errors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from impasto.models import WebhookDelivery
from impasto.webhooks.records import DeliveryState


class WebhookRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: WebhookDelivery) -> None:
        self.session.add(row)
        self.session.flush()

    def get(self, delivery_id: str) -> WebhookDelivery | None:
        return self.session.get(WebhookDelivery, delivery_id)

    def for_request(self, request_id: str) -> Sequence[WebhookDelivery]:
        query = select(WebhookDelivery).where(WebhookDelivery.request_id == request_id)
        return self.session.scalars(query.order_by(WebhookDelivery.created_at)).all()

    def any_due(self, now: datetime) -> bool:
        query = select(WebhookDelivery.delivery_id).where(
            WebhookDelivery.state == DeliveryState.PENDING,
            WebhookDelivery.next_attempt_at <= now,
        )
        return self.session.scalars(query.limit(1)).first() is not None

    def lock_due(self, now: datetime, limit: int) -> Sequence[WebhookDelivery]:
        """Pending rows due by ``now``, oldest first, locked for this transaction.

        ``SKIP LOCKED`` on PostgreSQL lets concurrent senders take disjoint batches; SQLite
        ignores the clause, and its single ``BEGIN IMMEDIATE`` writer serialises claims.
        """
        query = (
            select(WebhookDelivery)
            .where(
                WebhookDelivery.state == DeliveryState.PENDING,
                WebhookDelivery.next_attempt_at <= now,
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.delivery_id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return self.session.scalars(query).all()

    def lock_attempt(self, delivery_id: str, attempt: int) -> WebhookDelivery | None:
        """The row if it is still pending on ``attempt``; None once another claim moved it."""
        query = (
            select(WebhookDelivery)
            .where(
                WebhookDelivery.delivery_id == delivery_id,
                WebhookDelivery.state == DeliveryState.PENDING,
                WebhookDelivery.attempts == attempt,
            )
            .with_for_update()
        )
        return self.session.scalars(query).one_or_none()

    def flush(self) -> None:
        self.session.flush()
