"""What the worker API's endpoints receive: the worker service, bound to the caller's key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from impasto.deps import DatabaseDep
from impasto.files.deps import FilesCoreDep, UrlFetcherDep
from impasto.keys.auth import WorkerPrincipal
from impasto.runs.queue.deps import Runs
from impasto.runs.workers.service import WorkerKey, WorkerService


async def _worker_service(
    principal: WorkerPrincipal,
    database: DatabaseDep,
    runs: Runs,
    files: FilesCoreDep,
    fetcher: UrlFetcherDep,
) -> WorkerService:
    key = WorkerKey(key_id=principal.key_id, apps=principal.apps)
    return WorkerService(database, runs, files, fetcher, key)


Workers = Annotated[WorkerService, Depends(_worker_service)]
