"""The server's loops beside its HTTP handlers: tasks that live as long as a block, and
work repeated in rounds (sweeping files, sending webhooks, reaping leases, indexing).

Every loop is written once, here: a round runs, a round that raises is logged and the loop
goes on, the next round starts after the interval (sooner when a wake-up event is set; at
once when the round says more work is waiting), and cancellation ends it between or during
rounds. Failures in a row can stretch the wait (``max_backoff``), so a loop whose database
is down does not hammer it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from enum import Enum
from typing import Any, Protocol

import anyio
from structlog.stdlib import BoundLogger


class Round(Enum):
    """What a round says about the next one."""

    IDLE = "idle"  # nothing more to do now: wait for the interval or a wake-up
    BUSY = "busy"  # more work is waiting: start the next round at once
    DONE = "done"  # the work is finished for good: the loop ends


Work = Callable[[], Awaitable[Round | None]]  # None: IDLE


class Pause(Protocol):
    async def __call__(self, seconds: float, wakeup: asyncio.Event | None) -> None:
        """Return after ``seconds``, or as soon as ``wakeup`` is set."""
        ...


async def pause(seconds: float, wakeup: asyncio.Event | None) -> None:
    if wakeup is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await wakeup.wait()


async def periodic(
    work: Work,
    *,
    interval: float,
    log: BoundLogger,
    failure: str,
    wakeup: asyncio.Event | None = None,
    max_backoff: float | None = None,
    wait_first: bool = False,
    sleep: Pause = pause,
) -> None:
    """Run ``work`` in rounds until it is done or the task is cancelled.

    ``wakeup``: set by whoever has new work; cleared before each round, so a wake-up during
    a round starts the next one at once. ``max_backoff``: after ``n`` failed rounds in a row
    the wait is ``interval * 2**n``, at most this; None waits ``interval`` after failures
    too. ``wait_first``: wait one interval before the first round. A failed round is
    logged as ``failure``, with its traceback.
    """
    failures = 0
    if wait_first:
        await sleep(interval, wakeup)
    while True:
        if wakeup is not None:
            wakeup.clear()
        try:
            outcome = await work()
        except Exception:
            log.exception(failure)
            failures += 1
            outcome = Round.IDLE
        else:
            failures = 0
        if outcome is Round.DONE:
            return
        if outcome is Round.BUSY:
            continue
        wait = interval
        if failures and max_backoff is not None:
            wait = min(interval * 2**failures, max_backoff)
        await sleep(wait, wakeup)


@asynccontextmanager
async def in_background(work: Coroutine[Any, Any, None], name: str) -> AsyncIterator[None]:
    """Run ``work`` while the block runs; cancel it, and wait for it, on the way out."""
    task = asyncio.create_task(work, name=name)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@asynccontextmanager
async def every(
    interval: float,
    work: Work,
    *,
    name: str,
    log: BoundLogger,
    failure: str,
    wakeup: asyncio.Event | None = None,
) -> AsyncIterator[None]:
    """``periodic`` in the background for the duration of the block; an interval of 0 (or
    less) is the operator's way to turn the loop off, and runs nothing."""
    if interval <= 0:
        yield
        return

    async def loop() -> None:
        await periodic(work, interval=interval, log=log, failure=failure, wakeup=wakeup)

    # An anyio cancel scope, not ``Task.cancel``: work waiting on ``anyio.to_thread`` then
    # finishes its thread (and returns its database connection) before the block ends.
    async with anyio.create_task_group() as group:
        group.start_soon(loop, name=name)
        try:
            yield
        finally:
            group.cancel_scope.cancel()
