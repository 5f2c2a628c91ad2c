"""What the server runs beside the assets endpoints: the indexer, and the vector indexes'
fill at start (both off the request path)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from impasto.assets.indexing.service import AssetIndexer
from impasto.assets.search.ann import AssetVectors
from impasto.container import Container
from impasto.kit.background import in_background
from impasto.kit.logging import get_logger

log = get_logger("impasto.assets")


def build_indexer(container: Container) -> AssetIndexer:
    return AssetIndexer(
        container.database,
        container.object_store,
        container.clock,
        container.asset_embedders,
        container.ids,
        vectors=container.asset_vectors,
    )


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

    async with in_background(loop(), "asset-indexer"):
        yield


@asynccontextmanager
async def loading_vectors(spaces: list[AssetVectors]) -> AsyncIterator[None]:
    """Fill each space's index in a thread (searches stay exact meanwhile); on the way out,
    stop a fill under way and save grown graphs for the next start."""
    stop = threading.Event()

    def fill() -> None:
        for space in spaces:
            try:
                space.load(stop)
            except Exception:
                log.exception("asset_vectors_load_failed", space=space.space)

    thread = threading.Thread(target=fill, name="asset-vectors", daemon=True)
    started = bool(spaces)
    if started:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        if started:
            await asyncio.to_thread(thread.join)
            for space in spaces:
                await asyncio.to_thread(space.save)
