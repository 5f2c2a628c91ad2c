"""``Idempotency-Key`` on mutating calls: a retry with the same key and the same request
gets the first answer again; the same key with a different request is a 409. The answer is
stored in the transaction that made the change, so both commit or neither does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from impasto.kit.clock import Clock
from impasto.kit.errors import Conflict
from impasto.kit.text import is_storable
from impasto.models import IdempotencyRecord

MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class Answer:
    status_code: int
    body: Any  # JSON-ready; None for 204


def once(
    session: Session,
    clock: Clock,
    *,
    owner: str,
    key: str | None,
    operation: str,
    request: Any,
    produce: Callable[[], Answer],
) -> Answer:
    """Run ``produce`` unless this key already answered this very request."""
    if not key:
        return produce()
    if len(key) > MAX_KEY_LENGTH or not is_storable(key):
        # Any header value is a valid key; store a digest of the ones a column cannot hold.
        key = "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    raw = json.dumps([operation, request], sort_keys=True, default=str, separators=(",", ":"))
    fingerprint = hashlib.sha256(raw.encode()).hexdigest()
    stored = session.get(IdempotencyRecord, (owner, key))
    if stored is not None:
        if stored.fingerprint != fingerprint:
            raise Conflict("Idempotency-Key was already used for a different request")
        return Answer(stored.status_code, stored.body)
    answer = produce()
    session.add(
        IdempotencyRecord(
            owner=owner,
            key=key,
            fingerprint=fingerprint,
            status_code=answer.status_code,
            body=answer.body,
            created_at=clock.now(),
        )
    )
    session.flush()
    return answer
