"""Log retention: lines older than the operator's setting are deleted in batches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from impasto.kit.background import every
from impasto.kit.clock import Clock
from impasto.kit.cursors import Cursors
from impasto.kit.db import Database
from impasto.kit.logging import get_logger
from impasto.kit.threads import in_session
from impasto.logs.service import LogService

BATCH = 1000
INTERVAL_SECONDS = 3600.0
_log = get_logger(__name__)


async def prune_once(
    database: Database, clock: Clock, cursors: Cursors, retention: timedelta
) -> int:
    """Delete every line older than ``retention``, a batch per transaction."""
    total = 0
    while True:
        deleted = await in_session(
            database,
            lambda s: LogService(s, clock, cursors).prune(retention, BATCH),
            write=True,
        )
        total += deleted
        if deleted < BATCH:
            break
    if total:
        _log.info("logs_pruned", lines=total, retention_days=retention.days)
    return total


@asynccontextmanager
async def pruning(
    database: Database, clock: Clock, cursors: Cursors, retention_days: int
) -> AsyncIterator[None]:
    """Prune hourly for the duration of the block; a retention of 0 days keeps every line."""
    retention = timedelta(days=retention_days)

    async def prune() -> None:
        await prune_once(database, clock, cursors, retention)

    interval = INTERVAL_SECONDS if retention_days > 0 else 0
    async with every(interval, prune, name="logs-pruner", log=_log, failure="logs_prune_failed"):
        yield
