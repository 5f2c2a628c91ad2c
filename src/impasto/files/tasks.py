"""The sweeper: deletes expired files, abandoned uploads and blobs nothing references.

Blobs are deleted only after ``grace`` seconds without a reference, and the database row
goes first (refused while a file or part still points at it; the foreign keys see to
that), then the bytes. Started by the app's lifespan; every server process may run one,
since each step is idempotent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import anyio

from impasto.files.core import FilesCore
from impasto.files.repository import FileRepository
from impasto.kit.background import every
from impasto.kit.logging import get_logger
from impasto.storage.local import LocalObjectStore

BLOB_GRACE_SECONDS = 900
BATCH = 500
_log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class SweepReport:
    expired_files: int = 0
    stale_uploads: int = 0
    blobs_deleted: int = 0


class FileSweeper:
    def __init__(
        self, core: FilesCore, *, grace_seconds: int = BLOB_GRACE_SECONDS, batch: int = BATCH
    ) -> None:
        self._core = core
        self._grace = timedelta(seconds=grace_seconds)
        self._batch = batch

    async def sweep_once(self) -> SweepReport:
        now = self._core.clock.now()
        batch = self._batch

        def expire(repo: FileRepository) -> int:
            rows = repo.expired_files(now, batch)
            keys = {row.blob_key for row in rows}
            repo.delete_files([row.file_id for row in rows])
            repo.release_if_unreferenced(keys, now)
            return len(rows)

        def abandon(repo: FileRepository) -> int:
            rows = repo.stale_uploads(now, batch)
            keys: set[str] = set()
            for row in rows:
                keys |= repo.delete_upload(row)
            repo.release_if_unreferenced(keys, now)
            return len(rows)

        expired = await self._core.db(expire, write=True)
        stale = await self._core.db(abandon, write=True)
        cutoff = now - self._grace
        candidates = await self._core.db(
            lambda repo: repo.releasable_blobs(cutoff, batch), write=False
        )
        deleted = 0
        for key in candidates:
            if await self._core.db(_deleter(key), write=True):
                await self._core.store.delete(key)
                deleted += 1
        store = self._core.store
        if isinstance(store, LocalObjectStore):  # staging files of writers that crashed
            before = now - timedelta(seconds=self._core.limits.stale_upload_seconds)
            await anyio.to_thread.run_sync(store.purge_staging, before)
        report = SweepReport(expired, stale, deleted)
        if expired or stale or deleted:
            _log.info(
                "files_swept",
                expired_files=expired,
                stale_uploads=stale,
                blobs_deleted=deleted,
            )
        return report


def _deleter(key: str) -> Callable[[FileRepository], bool]:
    return lambda repo: repo.delete_blob_row(key)


@asynccontextmanager
async def sweeping(core: FilesCore, interval: float) -> AsyncIterator[None]:
    """Sweep every ``interval`` seconds for the duration of the block (0: not at all)."""
    sweeper = FileSweeper(core)

    async def sweep() -> None:
        await sweeper.sweep_once()

    async with every(interval, sweep, name="files-sweeper", log=_log, failure="files_sweep_failed"):
        yield
