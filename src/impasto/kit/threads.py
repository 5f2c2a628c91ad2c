"""Running blocking work (database transactions) off the event loop, cancel-safely."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

import anyio
from sqlalchemy.orm import Session

from impasto.kit.db import Database

T = TypeVar("T")


async def in_thread(work: Callable[[], T]) -> T:
    """``asyncio.to_thread`` that, when cancelled, still waits for the thread to finish.

    A cancelled ``to_thread`` leaves its thread running; if that thread holds a database
    connection while the engine is disposed (shutdown), the connection is never returned
    and never closed. Waiting for the (short) transaction to end avoids that.
    """
    future = asyncio.ensure_future(asyncio.to_thread(work))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        # Shielded: an anyio cancel scope (the server's loops run in one) delivers its
        # cancellation again at every await until the task leaves the scope.
        with anyio.CancelScope(shield=True):
            await asyncio.wait([future])
        raise


async def in_session(database: Database, work: Callable[[Session], T], *, write: bool) -> T:
    """``work`` in one transaction on a worker thread, committed when it returns."""

    def run() -> T:
        with database.session(write=write) as session:
            return work(session)

    return await in_thread(run)
