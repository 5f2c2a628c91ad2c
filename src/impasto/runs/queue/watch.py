"""Following a request as it runs: what the sync call, the streams and WebSockets wait on.

Each step subscribes to the request's wake-ups first, then reads the database, then
waits; a change made in between is never missed, and the bounded wait re-reads anyway.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from impasto.kit.db import Database
from impasto.kit.threads import in_session
from impasto.models import RequestRecord, RunEvent
from impasto.runs.queue.notifier import request_topic
from impasto.runs.queue.repository import COMPLETED
from impasto.runs.queue.service import Caller, RunDeps, RunService, StatusView

T = TypeVar("T")
RECHECK_SECONDS = 1.0


@dataclass(frozen=True)
class Progress:
    """New events of a request and its record as of the same read."""

    record: RequestRecord
    events: list[RunEvent]


class Watcher:
    def __init__(self, database: Database, deps: RunDeps) -> None:
        self._database = database
        self._deps = deps

    async def read(self, work: Callable[[RunService], T]) -> T:
        return await in_session(
            self._database, lambda s: work(RunService(s, self._deps)), write=False
        )

    async def write(self, work: Callable[[RunService], T]) -> T:
        return await in_session(
            self._database, lambda s: work(RunService(s, self._deps)), write=True
        )

    async def completed(
        self, request_id: str, gone: Callable[[], Awaitable[bool]] | None = None
    ) -> RequestRecord | None:
        """The record once COMPLETED; None if ``gone()`` says the caller left first."""
        with self._deps.notifier.subscribe(request_topic(request_id)) as subscription:
            while True:
                record = await self.read(lambda s: s.refresh(request_id))
                if record.status == COMPLETED:
                    return record
                if gone is not None and await gone():
                    return None
                await subscription.wait(RECHECK_SECONDS)

    async def statuses(
        self, caller: Caller, request_id: str, *, with_logs: bool, ping_seconds: float
    ) -> AsyncIterator[StatusView | None]:
        """Each changed status until COMPLETED; None when ``ping_seconds`` passed quietly."""
        last: tuple[str, int | None, int] | None = None
        quiet = 0.0
        with self._deps.notifier.subscribe(request_topic(request_id)) as subscription:
            while True:
                view = await self.read(lambda s: s.status(caller, request_id, with_logs=with_logs))
                key = (view.record.status, view.queue_position, len(view.logs or ()))
                if key != last:
                    last, quiet = key, 0.0
                    yield view
                    if view.record.status == COMPLETED:
                        return
                elif quiet >= ping_seconds:
                    quiet = 0.0
                    yield None
                wait = min(RECHECK_SECONDS, ping_seconds)
                if not await subscription.wait(wait):
                    quiet += wait

    async def progress(self, request_id: str, kinds: list[str]) -> AsyncIterator[Progress]:
        """New events of the given kinds as they come, ending with the completed record."""
        seen = 0

        def step(service: RunService) -> Progress:
            # Record first: events written before it completed are then all in this read.
            record = service.refresh(request_id)
            return Progress(record=record, events=service.events_after(request_id, seen, kinds))

        with self._deps.notifier.subscribe(request_topic(request_id)) as subscription:
            while True:
                found = await self.read(step)
                if found.events:
                    seen = found.events[-1].seq
                yield found
                if found.record.status == COMPLETED:
                    return
                await subscription.wait(RECHECK_SECONDS)
