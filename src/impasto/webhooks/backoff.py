"""When a failed delivery is tried again: doubling delays scaled to fill the retry window.

With fal's defaults (10 attempts over 2 hours) the nine waits are about 14 s, 28 s, 56 s,
2 min, 4 min, 7.5 min, 15 min, 30 min and 60 min: quick retries for a blip, then hours of
patience for a receiver that is down. Delays stop doubling after ten steps, so a large
attempt count spreads its tail evenly instead of crowding every early retry to zero.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

MAX_DOUBLINGS = 9


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 10
    window_seconds: float = 7200.0
    jitter: float = 0.0  # each delay is scaled by a factor in [1 - jitter, 1 + jitter]
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.window_seconds < 0 or not 0 <= self.jitter < 1:
            raise ValueError("max_attempts >= 1, window_seconds >= 0 and 0 <= jitter < 1")

    def _weight(self, attempt: int) -> int:
        return 1 << min(attempt - 1, MAX_DOUBLINGS)

    def schedule(self) -> list[float]:
        """The waits after attempts 1 .. max_attempts - 1, before jitter."""
        weights = [self._weight(n) for n in range(1, self.max_attempts)]
        total = sum(weights)
        return [self.window_seconds * w / total for w in weights] if total else []

    def delay_after(self, attempt: int) -> float | None:
        """Seconds to wait after failed attempt ``attempt`` (1-based); None: give up."""
        if attempt >= self.max_attempts:
            return None
        delay = self.schedule()[attempt - 1]
        if self.jitter:
            delay *= self.rng.uniform(1 - self.jitter, 1 + self.jitter)
        return delay
