"""The worker ``impasto serve`` runs in-process: the same agent, linked to the database."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from impasto.container import Container
from impasto.workers.agent import AgentConfig, WorkerAgent, worker_name
from impasto.workers.local_link import LocalLink


@asynccontextmanager
async def embedded_worker(container: Container) -> AsyncIterator[WorkerAgent | None]:
    settings = container.settings
    if not settings.embedded_worker:
        yield None
        return
    worker_id = f"{worker_name()}-{secrets.token_hex(4)}"
    link = LocalLink(
        worker_id, container.database, container.runs, container.files, container.url_fetcher
    )
    config = AgentConfig(
        spool_dir=settings.data_dir / "spool" / worker_id,
        heartbeat_seconds=max(0.5, settings.queue_lease_seconds / 3),
    )
    agent = WorkerAgent(link, config)
    await agent.start()
    try:
        yield agent
    finally:
        await agent.stop()
