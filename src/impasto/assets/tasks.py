"""The background indexer: fills sizes and embeddings of new assets, off the request path."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from impasto.assets.indexing import AssetIndexer
from impasto.kit.logging import get_logger

log = get_logger("impasto.assets")


@asynccontextmanager
async def indexing(indexer: AssetIndexer, interval: float) -> AsyncIterator[None]:
    if interval <= 0:
        yield
        return

    async def loop() -> None:
        while True:
            try:
                handled = await indexer.run_once()
            except Exception:
                log.exception("asset_indexing_round_failed")
                handled = 0
            if not handled:
                await asyncio.sleep(interval)

    task = asyncio.create_task(loop(), name="asset-indexer")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
