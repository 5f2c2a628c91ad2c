"""What the server runs beside the assets endpoints: the indexer, and the vector indexes'
fill at start (both off the request path)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from impasto.assets.indexing.service import AssetIndexer
from impasto.assets.search.ann import AssetVectors
from impasto.kit.background import Round, every
from impasto.kit.logging import get_logger

log = get_logger(__name__)


@asynccontextmanager
async def indexing(indexer: AssetIndexer, interval: float) -> AsyncIterator[None]:
    """Index new assets for the duration of the block: round after round while there are
    any, then every ``interval`` seconds (0: never)."""

    async def index() -> Round:
        return Round.BUSY if await indexer.run_once() else Round.IDLE

    async with every(
        interval, index, name="asset-indexer", log=log, failure="asset_indexing_round_failed"
    ):
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
