"""The worker ``impasto serve`` runs in-process: the same agent, linked to the database.

Its spool (runners' output files on their way to the store) is ``<data_dir>/spool/<worker
id>``, a fresh folder per start, removed when the worker stops. Folders left there by a
start that never stopped (a crash, a kill) are removed at the next start: ``serve`` holds
the data directory's instance lock, so no other embedded worker of it is alive then.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from impasto.config import Settings
from impasto.files.core import FilesCore
from impasto.kit.db import Database
from impasto.kit.egress.fetch import UrlFetcher
from impasto.kit.logging import get_logger
from impasto.runs.queue.service import RunDeps
from impasto.runs.workers.local_link import LocalLink
from impasto.workers.agent import AgentConfig, WorkerAgent, worker_name
from impasto.workers.code import CodeSettings
from impasto.workers.metrics import RunnerMetrics

logger = get_logger(__name__)
SPOOL = "spool"
# How often it reads the deployed apps (a local read): a redeploy reaches its runners
# within this long.
APPS_REFRESH_SECONDS = 1.0


@asynccontextmanager
async def embedded_worker(
    settings: Settings,
    database: Database,
    runs: RunDeps,
    files: FilesCore,
    fetcher: UrlFetcher,
    metrics: RunnerMetrics,
) -> AsyncIterator[WorkerAgent | None]:
    if not settings.embedded_worker:
        yield None
        return
    worker_id = f"{worker_name()}-{secrets.token_hex(4)}"
    spools = settings.data_dir / SPOOL
    await asyncio.to_thread(remove_stale_spools, spools)
    link = LocalLink(worker_id, database, runs, files, fetcher)
    config = AgentConfig(
        spool_dir=spools / worker_id,
        heartbeat_seconds=max(0.5, settings.queue_lease_seconds / 3),
        apps_refresh_seconds=APPS_REFRESH_SECONDS,
        code=CodeSettings(
            cache_dir=settings.app_cache_dir or settings.data_dir / "apps",
            index_url=settings.app_index_url,
            find_links=tuple(settings.app_find_links),
            no_index=settings.app_no_index,
        ),
    )
    agent = WorkerAgent(link, config, metrics)
    await agent.start()
    try:
        yield agent
    finally:
        try:
            await agent.stop()
        finally:
            await asyncio.to_thread(shutil.rmtree, config.spool_dir, ignore_errors=True)


def remove_stale_spools(spools: Path) -> None:
    """Remove what earlier starts left under ``spools``."""
    if not spools.is_dir():
        return
    for entry in spools.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        logger.info("stale_spool_removed", path=str(entry))
