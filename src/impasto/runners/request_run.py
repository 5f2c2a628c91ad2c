"""``RequestRun``: one request in flight on a runner, as the caller sees it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from impasto.runners.events import Outcome, RunnerEvent


@dataclass(frozen=True)
class RunRequest:
    request_id: str
    path: str = "/"
    payload: Any = field(default_factory=dict)
    attempt: int = 1
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float | None = None
    """Seconds the runner may take; ``None`` uses the spec's or the app's request timeout."""


class RequestRun:
    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        self._events: asyncio.Queue[RunnerEvent] = asyncio.Queue()
        self._outcome: Outcome | None = None
        self._done = asyncio.Event()
        self.timers: list[asyncio.TimerHandle] = []

    @property
    def done(self) -> bool:
        return self._outcome is not None

    def push(self, event: RunnerEvent) -> None:
        if self._outcome is None:
            self._events.put_nowait(event)

    def finish(self, outcome: Outcome) -> bool:
        """Record the outcome; the first one wins. Returns whether this one did."""
        if self._outcome is not None:
            return False
        self._outcome = outcome
        for timer in self.timers:
            timer.cancel()
        self._events.put_nowait(outcome)
        self._done.set()
        return True

    async def events(self) -> AsyncIterator[RunnerEvent]:
        """Logs, progress and partial outputs in the order the app made them, then the
        ``Outcome``. Iterate once; ``outcome()`` may be awaited alongside."""
        while True:
            event = await self._events.get()
            yield event
            if isinstance(event, Outcome):
                return

    async def outcome(self) -> Outcome:
        await self._done.wait()
        assert self._outcome is not None
        return self._outcome
