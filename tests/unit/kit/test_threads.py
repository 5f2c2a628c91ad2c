"""A cancelled ``in_thread`` still waits for its thread: the thread may hold a database
connection that must go back to the pool before the engine is disposed."""

from __future__ import annotations

import threading

import anyio
import pytest
from anyio.lowlevel import checkpoint

from impasto.kit.threads import in_thread

pytestmark = pytest.mark.anyio
WAIT_SECONDS = 30.0  # a bound against hangs, never an assertion about speed


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_a_cancel_scope_waits_for_the_thread() -> None:
    started, release, finished = threading.Event(), threading.Event(), threading.Event()
    ended = anyio.Event()

    def work() -> None:
        started.set()
        release.wait(WAIT_SECONDS)
        finished.set()

    scope = anyio.CancelScope()

    async def call() -> None:
        with scope:
            try:
                await in_thread(work)
            finally:
                ended.set()

    async with anyio.create_task_group() as group:
        group.start_soon(call)
        await anyio.to_thread.run_sync(started.wait, WAIT_SECONDS)
        scope.cancel()
        for _ in range(50):  # the scope re-delivers its cancellation at each of these
            await checkpoint()
        waited = not ended.is_set()
        release.set()
    assert waited  # the cancelled call stayed until its thread was done
    assert finished.is_set()
    assert ended.is_set()
