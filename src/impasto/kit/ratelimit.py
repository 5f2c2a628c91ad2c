"""Per-key token buckets, in process memory."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from impasto.kit.clock import Clock


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token bucket per key: ``rate`` tokens a second refill up to ``burst``.

    Each server process limits on its own; behind N processes a key gets up to N times
    the configured rate.
    """

    def __init__(self, rate: float, burst: int, clock: Clock) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self._rate > 0

    def acquire(self, key: str) -> float:
        """Take one token for ``key``: 0.0 when allowed, else seconds until one is free."""
        if not self.enabled:
            return 0.0
        now = self._clock.monotonic()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(tokens=self._burst, updated=now)
            bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self._rate

    @staticmethod
    def retry_after_header(wait: float) -> str:
        """Whole seconds, rounded up, never 0 (``Retry-After: 0`` invites a hot loop)."""
        return str(max(1, math.ceil(wait)))
