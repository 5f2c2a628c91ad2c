"""The background indexing step: image size, and one vector per embedder space for each
asset's text (title and prompt) and, for images, its pixels. Runs off the request path;
a failed job is retried a few times, then left ``failed`` with its error.

Thumbnails and video frames are not produced yet (``docs/architecture/assets.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from anyio import to_thread
from sqlalchemy import delete, select

from impasto.assets.media import image_size
from impasto.assets.vectors import AssetEmbedder, to_bytes
from impasto.kit.clock import Clock
from impasto.kit.db import Database
from impasto.kit.logging import get_logger
from impasto.models import Asset, AssetEmbedding, AssetIndexJob, StoredFile
from impasto.storage import ObjectStore

MAX_ATTEMPTS = 3
MAX_IMAGE_BYTES = 64 << 20
log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class _Work:
    job_id: int
    asset_pk: int
    media_type: str
    text: str
    blob_key: str | None
    size: int


class AssetIndexer:
    def __init__(
        self,
        database: Database,
        store: ObjectStore,
        clock: Clock,
        embedders: Sequence[AssetEmbedder],
    ) -> None:
        self.database = database
        self.store = store
        self.clock = clock
        self.embedders = list(embedders)

    async def run_once(self, limit: int = 32) -> int:
        """Index up to ``limit`` pending assets; returns how many jobs were handled."""
        batch = await to_thread.run_sync(self._claim, limit)
        for work in batch:
            try:
                data = await self._read(work)
                size = image_size(data) if data is not None else None
                vectors = self._embed(work, data)
            except Exception as exc:
                log.warning("asset indexing failed", asset=work.asset_pk, error=repr(exc))
                await to_thread.run_sync(self._fail, work, repr(exc))
                continue
            await to_thread.run_sync(self._save, work, size, vectors)
        return len(batch)

    def _claim(self, limit: int) -> list[_Work]:
        now = self.clock.now()
        with self.database.session(write=True) as session:
            jobs = session.scalars(
                select(AssetIndexJob)
                .where(AssetIndexJob.status == "pending", AssetIndexJob.run_after <= now)
                .order_by(AssetIndexJob.id)
                .limit(limit)
            ).all()
            found: list[_Work] = []
            for job in jobs:
                job.attempts += 1
                job.run_after = now + timedelta(minutes=5)  # a crashed worker's job returns
                asset = session.get(Asset, job.asset_pk)
                if asset is None:
                    job.status = "done"
                    continue
                blob = session.get(StoredFile, asset.file_id) if asset.file_id else None
                found.append(
                    _Work(
                        job_id=job.id,
                        asset_pk=asset.id,
                        media_type=asset.media_type,
                        text=" ".join(filter(None, [asset.title, asset.prompt])),
                        blob_key=blob.blob_key if blob else None,
                        size=blob.size if blob else 0,
                    )
                )
            return found

    async def _read(self, work: _Work) -> bytes | None:
        if work.media_type != "image" or work.blob_key is None or work.size > MAX_IMAGE_BYTES:
            return None
        return b"".join([chunk async for chunk in self.store.read(work.blob_key)])

    def _embed(self, work: _Work, data: bytes | None) -> list[AssetEmbedding]:
        now = self.clock.now()
        rows: list[AssetEmbedding] = []
        for embedder in self.embedders:
            found = [("text", embedder.embed_texts([work.text]))]
            if data is not None:
                images = embedder.embed_images([data])
                if images is not None:
                    found.append(("image", images))
            for kind, matrix in found:
                rows.append(
                    AssetEmbedding(
                        asset_pk=work.asset_pk,
                        space=embedder.space,
                        kind=kind,
                        position=0,
                        dimensions=embedder.dimensions,
                        vector=to_bytes(matrix[0]),
                        created_at=now,
                    )
                )
        return rows

    def _save(
        self, work: _Work, size: tuple[int, int] | None, vectors: list[AssetEmbedding]
    ) -> None:
        with self.database.session(write=True) as session:
            asset = session.get(Asset, work.asset_pk)
            job = session.get(AssetIndexJob, work.job_id)
            if asset is None or job is None:
                return
            if size is not None and asset.width is None:
                asset.width, asset.height = size
            spaces = [e.space for e in self.embedders]
            session.execute(
                delete(AssetEmbedding).where(
                    AssetEmbedding.asset_pk == asset.id, AssetEmbedding.space.in_(spaces)
                )
            )
            session.add_all(vectors)
            job.status = "done"

    def _fail(self, work: _Work, error: str) -> None:
        with self.database.session(write=True) as session:
            job = session.get(AssetIndexJob, work.job_id)
            if job is not None:
                job.last_error = error[:2000]
                if job.attempts >= MAX_ATTEMPTS:
                    job.status = "failed"
