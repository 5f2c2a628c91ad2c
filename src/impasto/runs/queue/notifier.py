"""Wake-ups between the code that changes a request and the code waiting on it.

A notification only says "look again": waiters always re-read the database, so a lost
or spurious wake-up costs latency, never correctness. Waits are bounded by a timeout for
the same reason, which also covers changes made by another process (a second API server
on PostgreSQL) until a cross-process notifier (LISTEN/NOTIFY) is plugged in here.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Protocol


class Subscription(Protocol):
    async def wait(self, seconds: float) -> bool:
        """Until a notification since the last wait (True) or ``seconds`` pass (False)."""
        ...


class Notifier(Protocol):
    def notify(self, topic: str) -> None:
        """Wake everyone waiting on ``topic``; callable from any thread."""
        ...

    def subscribe(self, topic: str) -> AbstractContextManager[Subscription]:
        """Catch notifications from now on: subscribe, read the state, then wait, and
        nothing sent in between is missed."""
        ...

    async def wait(self, topic: str, seconds: float) -> bool:
        """Until ``topic`` is notified (True) or ``seconds`` pass (False)."""
        ...


class _LocalSubscription:
    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.event = asyncio.Event()

    async def wait(self, seconds: float) -> bool:
        try:
            async with asyncio.timeout(seconds):
                await self.event.wait()
        except TimeoutError:
            return False
        self.event.clear()
        return True


class LocalNotifier:
    """In-process wake-ups: the API, the embedded worker and the sender share one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, set[_LocalSubscription]] = defaultdict(set)

    def notify(self, topic: str) -> None:
        with self._lock:
            waiters = list(self._waiters.get(topic, ()))
        for waiter in waiters:
            with contextlib.suppress(RuntimeError):  # that loop has closed
                waiter.loop.call_soon_threadsafe(waiter.event.set)

    @contextlib.contextmanager
    def subscribe(self, topic: str) -> Iterator[_LocalSubscription]:
        waiter = _LocalSubscription()
        with self._lock:
            self._waiters[topic].add(waiter)
        try:
            yield waiter
        finally:
            with self._lock:
                waiting = self._waiters.get(topic)
                if waiting is not None:
                    waiting.discard(waiter)
                    if not waiting:
                        del self._waiters[topic]

    async def wait(self, topic: str, seconds: float) -> bool:
        with self.subscribe(topic) as subscription:
            return await subscription.wait(seconds)


def request_topic(request_id: str) -> str:
    return f"request:{request_id}"


def app_topic(app_id: str) -> str:
    return f"app:{app_id}"


WORK_TOPIC = "work"  # any app got new work
CANCEL_TOPIC = "cancel"  # a request in progress was asked to stop
