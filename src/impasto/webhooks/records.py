"""What the outbox hands the sender, and what one attempt came to; detached from sessions."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class AttemptOutcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"  # rescheduled with backoff
    FAILED = "failed"  # the last attempt failed: given up
    STALE = "stale"  # the claim had expired and the row moved on; nothing recorded


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """One attempt to make now; ``attempt`` fences the result (see ``record_attempt``)."""

    delivery_id: str
    request_id: str
    owner: str
    url: str
    body: str
    attempt: int


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What the receiver answered: a status code, or why no answer came."""

    status_code: int | None = None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300
