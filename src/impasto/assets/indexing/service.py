"""The background indexing step, off the request path: image size and a WebP thumbnail;
video duration, size and a poster (PyAV, ``probe.py``); audio duration; and one vector per
embedder space for each asset's text (title and prompt), an image's pixels and a video's
sampled frames. A failed job is retried a few times, then left ``failed`` with its error.

Thumbnails and posters are stored as files of the asset's owner (same ACL and expiry as
the original) and linked by ``assets.thumbnail_file_id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from anyio import to_thread
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from impasto.assets.indexing.metrics import IndexerMetrics
from impasto.assets.indexing.probe import MediaInfo, probe
from impasto.assets.media import image_size, thumbnail
from impasto.assets.search.ann import AssetVectors, VectorKey
from impasto.assets.search.exact import to_bytes
from impasto.embedders.base import Embedder, InvalidMedia
from impasto.embedders.video import sample_video_frames
from impasto.files.repository import FileRepository
from impasto.kit.clock import Clock
from impasto.kit.db import Database
from impasto.kit.ids import IdGenerator, UUIDv7Generator
from impasto.kit.logging import get_logger
from impasto.models import Asset, AssetEmbedding, AssetIndexJob, StoredFile
from impasto.storage import Blob, ObjectStore

MAX_ATTEMPTS = 3
# Read into memory at most this much; a larger video or audio file is probed from the
# store's local path when it has one, and is otherwise left without duration and poster.
MAX_IMAGE_BYTES = 64 << 20
VIDEO_FRAMES = 8
THUMBNAIL_NAME = "thumbnail.webp"
log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class _Work:
    job_id: int
    asset_pk: int
    media_type: str
    text: str
    blob_key: str | None
    size: int
    has_thumbnail: bool = False


@dataclass(slots=True)
class _Found:
    """What one job learnt about its file."""

    media: MediaInfo = field(default_factory=MediaInfo)
    image: bytes | None = None
    frames: list[bytes] = field(default_factory=list)
    thumbnail: Blob | None = None


class AssetIndexer:
    def __init__(
        self,
        database: Database,
        store: ObjectStore,
        clock: Clock,
        embedders: Sequence[Embedder],
        ids: IdGenerator | None = None,
        vectors: Sequence[AssetVectors] = (),
        metrics: IndexerMetrics | None = None,
    ) -> None:
        self.database = database
        self.store = store
        self.clock = clock
        self.embedders = list(embedders)
        self.ids = ids or UUIDv7Generator()
        self.vectors = list(vectors)  # indexes to keep in step, after each commit
        self.metrics = metrics or IndexerMetrics(None, database, clock)

    async def run_once(self, limit: int = 32) -> int:
        """Index up to ``limit`` pending assets; returns how many jobs were handled."""
        batch = await to_thread.run_sync(self._claim, limit)
        for work in batch:
            try:
                found = await self._inspect(work)
                vectors = await to_thread.run_sync(self._embed, work, found)
            except Exception as exc:
                log.warning("asset_indexing_failed", asset=work.asset_pk, error=repr(exc))
                final = await to_thread.run_sync(self._fail, work, repr(exc))
                self.metrics.handled("failed" if final else "retry")
                continue
            saved = await to_thread.run_sync(self._save, work, found, vectors)
            self.metrics.handled("done")
            if saved is not None:
                owner, old = saved
                for index in self.vectors:
                    await to_thread.run_sync(index.replace, owner, old, vectors)
        return len(batch)

    async def _inspect(self, work: _Work) -> _Found:
        found = _Found()
        data = await self._read(work)
        if work.media_type == "image" and data is not None:
            size = image_size(data)
            found.media = MediaInfo(width=size[0], height=size[1]) if size else MediaInfo()
            found.image = data
            if not work.has_thumbnail:
                found.thumbnail = await self._keep(await to_thread.run_sync(thumbnail, data))
        elif work.media_type in ("video", "audio"):
            source = self._source(work, data)
            if source is not None:
                found.media = await to_thread.run_sync(probe, source, work.media_type)
            if not work.has_thumbnail:
                found.thumbnail = await self._keep(found.media.poster)
            if work.media_type == "video" and data is not None and self.embedders:
                found.frames = await to_thread.run_sync(_frames, data)
        return found

    def _source(self, work: _Work, data: bytes | None) -> bytes | Path | None:
        if data is not None or work.blob_key is None:
            return data
        return self.store.local_path(work.blob_key)

    async def _keep(self, data: bytes | None) -> Blob | None:
        """Store a thumbnail's bytes; the file row is written with the asset's update."""
        if data is None:
            return None
        writer = self.store.writer()
        try:
            await writer.write(data)
            return await writer.commit()
        except BaseException:
            await writer.abort()
            raise

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
                        has_thumbnail=asset.thumbnail_file_id is not None,
                    )
                )
            return found

    async def _read(self, work: _Work) -> bytes | None:
        if work.media_type == "3d" or work.blob_key is None or work.size > MAX_IMAGE_BYTES:
            return None
        return b"".join([chunk async for chunk in self.store.read(work.blob_key)])

    def _embed(self, work: _Work, found: _Found) -> list[AssetEmbedding]:
        now = self.clock.now()
        rows: list[AssetEmbedding] = []
        for embedder in self.embedders:
            matrices: list[tuple[str, Any]] = [("text", embedder.embed_texts([work.text]))]
            if found.image is not None:
                matrices.append(("image", embedder.embed_images([found.image])))
            if found.frames:
                matrices.append(("frame", embedder.embed_images(found.frames)))
            for kind, matrix in matrices:
                if matrix is None:
                    continue  # this embedder has no image tower
                rows.extend(
                    AssetEmbedding(
                        asset_pk=work.asset_pk,
                        space=embedder.space,
                        kind=kind,
                        position=position,
                        dimensions=embedder.dimensions,
                        vector=to_bytes(vector),
                        created_at=now,
                    )
                    for position, vector in enumerate(matrix)
                )
        return rows

    def _save(
        self, work: _Work, found: _Found, vectors: list[AssetEmbedding]
    ) -> tuple[str, list[VectorKey]] | None:
        """Commit what the job found; the asset's owner and replaced vector keys, or None
        when the asset or its job is gone."""
        with self.database.session(write=True) as session:
            asset = session.get(Asset, work.asset_pk)
            job = session.get(AssetIndexJob, work.job_id)
            now = self.clock.now()
            if asset is None or job is None:
                if found.thumbnail is not None:
                    _release(session, found.thumbnail, now)
                return None
            media = found.media
            if media.width and media.height and asset.width is None:
                asset.width, asset.height = media.width, media.height
            if media.duration is not None and asset.duration is None:
                asset.duration = media.duration
            if found.thumbnail is not None:
                self._link_thumbnail(session, asset, found.thumbnail, now)
            spaces = [e.space for e in self.embedders]
            mine = (AssetEmbedding.asset_pk == asset.id, AssetEmbedding.space.in_(spaces))
            old: list[VectorKey] = [
                (pk, kind, position)
                for pk, kind, position in session.execute(
                    select(
                        AssetEmbedding.asset_pk, AssetEmbedding.kind, AssetEmbedding.position
                    ).where(*mine)
                )
            ]
            session.execute(delete(AssetEmbedding).where(*mine))
            session.add_all(vectors)
            job.status = "done"
            return asset.owner, old

    def _link_thumbnail(self, session: Session, asset: Asset, blob: Blob, now: datetime) -> None:
        """Record the thumbnail as a file of the owner, readable as the original is."""
        original = session.get(StoredFile, asset.file_id) if asset.file_id else None
        if original is None or asset.thumbnail_file_id is not None:
            _release(session, blob, now)
            return
        files = FileRepository(session)
        files.reference_blob(blob.key, blob.size, now)
        row = StoredFile(
            file_id=self.ids.new(),
            owner=asset.owner,
            path=None,
            file_name=THUMBNAIL_NAME,
            blob_key=blob.key,
            size=blob.size,
            content_type="image/webp",
            acl=original.acl,
            created_at=now,
            updated_at=now,
            expires_at=original.expires_at,
        )
        files.add_file(row)
        asset.thumbnail_file_id = row.file_id

    def _fail(self, work: _Work, error: str) -> bool:
        """Record the error; True when the job is given up (its last attempt failed)."""
        with self.database.session(write=True) as session:
            job = session.get(AssetIndexJob, work.job_id)
            if job is None:
                return True
            job.last_error = error[:2000]
            if job.attempts >= MAX_ATTEMPTS:
                job.status = "failed"
                return True
        return False


def _release(session: Session, blob: Blob, now: datetime) -> None:
    """A stored thumbnail no row will use: leave it to the files sweeper."""
    files = FileRepository(session)
    files.reference_blob(blob.key, blob.size, now)
    files.release_if_unreferenced({blob.key}, now)


def _frames(data: bytes) -> list[bytes]:
    try:
        return sample_video_frames(data, VIDEO_FRAMES)
    except (InvalidMedia, ValueError):
        return []
