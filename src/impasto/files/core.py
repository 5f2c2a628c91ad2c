"""What every files service shares: short transactions, limits, and recording a blob.

Uploads stream for as long as the client takes, so no transaction stays open while bytes
move (on SQLite it would hold the one write lock). Each step opens its own short
transaction in a worker thread: check limits, stream to the store, then record the file.
A blob stored by a step that then fails is marked released, and the sweeper removes it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from anyio import to_thread
from sqlalchemy.orm import Session

from impasto.files.acl import PUBLIC, Acl, Lifecycle
from impasto.files.repository import FileRepository
from impasto.files.streams import store_stream
from impasto.kit.clock import Clock
from impasto.kit.db import Database
from impasto.kit.errors import PayloadTooLarge
from impasto.kit.ids import IdGenerator
from impasto.kit.signing import Signer
from impasto.models import StoredFile
from impasto.storage import Blob, ObjectStore

T = TypeVar("T")


class StorageQuotaExceeded(PayloadTooLarge):
    """The owner's storage quota would be exceeded by this upload."""


@dataclass(frozen=True, slots=True)
class FileLimits:
    max_upload_bytes: int
    quota_bytes: int | None = None
    upload_url_seconds: int = 3600
    stale_upload_seconds: int = 86400
    token_seconds: int = 3600
    unzip_max_bytes: int = 1 << 30  # all files of one extracted archive together
    unzip_max_ratio: int = 100  # uncompressed / compressed, per entry and per archive


@dataclass(frozen=True, slots=True)
class FileView:
    """A stored file, detached from any session."""

    file_id: str
    owner: str
    path: str | None
    file_name: str
    blob_key: str
    size: int
    content_type: str
    acl: Acl
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None

    @classmethod
    def of(cls, row: StoredFile) -> FileView:
        return cls(
            file_id=row.file_id,
            owner=row.owner,
            path=row.path,
            file_name=row.file_name,
            blob_key=row.blob_key,
            size=row.size,
            content_type=row.content_type,
            acl=Acl.from_json(row.acl),
            created_at=row.created_at,
            updated_at=row.updated_at,
            expires_at=row.expires_at,
        )

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


@dataclass(frozen=True, slots=True)
class NewFile:
    """Everything about a file to record except its bytes."""

    owner: str
    file_name: str
    content_type: str
    acl: Acl
    expiration_seconds: int | None
    file_id: str | None = None
    path: str | None = None


class FilesCore:
    def __init__(
        self,
        database: Database,
        store: ObjectStore,
        clock: Clock,
        ids: IdGenerator,
        signer: Signer,
        limits: FileLimits,
    ) -> None:
        self.database = database
        self.store = store
        self.clock = clock
        self.ids = ids
        self.signer = signer
        self.limits = limits
        # Called with the session and the new files in the transaction that records them
        # (the asset library makes its ``upload`` assets there; wired in container.py).
        self.on_record: Callable[[Session, list[FileView]], None] | None = None

    async def db(self, work: Callable[[FileRepository], T], *, write: bool) -> T:
        """Run ``work`` in one transaction on a worker thread."""

        def run() -> T:
            with self.database.session(write=write) as session:
                return work(FileRepository(session))

        return await to_thread.run_sync(run)

    def now_seconds(self) -> int:
        return int(self.clock.now().timestamp())

    # -- limits ---------------------------------------------------------------------------

    async def room_for(self, owner: str, pending: int = 0) -> int:
        """Bytes ``owner`` may still upload in one file, given ``pending`` already counted."""
        room = self.limits.max_upload_bytes - pending
        quota = self.limits.quota_bytes
        if quota is not None:
            used = await self.db(lambda repo: repo.usage(owner), write=False)
            room = min(room, quota - used)
            if room <= 0:
                raise self.quota_error()
        return room

    def too_large(self, owner_room: int) -> Callable[[], PayloadTooLarge]:
        def error() -> PayloadTooLarge:
            if owner_room < self.limits.max_upload_bytes and self.limits.quota_bytes is not None:
                return self.quota_error()
            return PayloadTooLarge(
                f"File is larger than the upload limit of {self.limits.max_upload_bytes} bytes"
            )

        return error

    def quota_error(self) -> StorageQuotaExceeded:
        return StorageQuotaExceeded(
            f"Storage quota of {self.limits.quota_bytes} bytes per owner would be exceeded"
        )

    async def store_body(
        self,
        owner: str,
        chunks: AsyncIterator[bytes],
        expected_length: int | None,
        pending: int = 0,
    ) -> Blob:
        room = await self.room_for(owner, pending)
        return await store_stream(
            self.store,
            chunks,
            limit=room,
            too_large=self.too_large(room),
            expected_length=expected_length,
        )

    # -- lifecycle ------------------------------------------------------------------------

    async def resolve_lifecycle(self, owner: str, asked: Lifecycle) -> tuple[Acl, int | None]:
        """The ACL and expiry a new upload gets: asked for, else the owner's defaults."""

        def work(repo: FileRepository) -> tuple[Acl, int | None]:
            settings = repo.get_settings(owner)
            acl = asked.acl
            if acl is None and settings is not None and settings.initial_acl is not None:
                acl = Acl.from_json(settings.initial_acl)
            acl = acl or PUBLIC
            if acl.rules:
                acl = acl.keep_users(repo.existing_accounts({user for user, _ in acl.rules}))
            expiration = asked.expiration_seconds
            if expiration is None and settings is not None:
                expiration = settings.expiration_duration_seconds
            return acl, expiration

        return await self.db(work, write=False)

    # -- recording ------------------------------------------------------------------------

    async def record(
        self, new: NewFile, blob: Blob, extra: Callable[[FileRepository], Any] | None = None
    ) -> FileView:
        """Record ``blob`` as a file (replacing one at the same project path)."""
        [view] = await self.record_many([(new, blob)], extra)
        return view

    async def record_many(
        self,
        items: list[tuple[NewFile, Blob]],
        extra: Callable[[FileRepository], Any] | None = None,
    ) -> list[FileView]:
        """Record several files in one transaction: all of them or, on failure, none."""
        now = self.clock.now()

        def work(repo: FileRepository) -> list[FileView]:
            if extra is not None:
                extra(repo)
            quota = self.limits.quota_bytes
            if quota is not None:
                owners = {new.owner for new, _ in items}
                for owner in owners:
                    adding = sum(b.size for n, b in items if n.owner == owner)
                    freed = sum(
                        old.size
                        for n, _ in items
                        if n.owner == owner
                        and n.path is not None
                        and (old := repo.get_by_path(owner, n.path)) is not None
                    )
                    if repo.usage(owner) - freed + adding > quota:
                        raise self.quota_error()
            views: list[FileView] = []
            released: set[str] = set()
            for new, blob in items:
                view, replaced = self._insert(repo, new, blob, now)
                views.append(view)
                if replaced is not None:
                    released.add(replaced)
            repo.release_if_unreferenced(released - {b.key for _, b in items}, now)
            if self.on_record is not None:
                self.on_record(repo.session, views)
            return views

        try:
            return await self.db(work, write=True)
        except BaseException:
            for _, blob in items:
                await self.release_orphan(blob)
            raise

    def _insert(
        self, repo: FileRepository, new: NewFile, blob: Blob, now: datetime
    ) -> tuple[FileView, str | None]:
        """Add the file row; returns it and the blob key of a file it replaced."""
        replaced = repo.get_by_path(new.owner, new.path) if new.path is not None else None
        replaced_key = None
        repo.reference_blob(blob.key, blob.size, now)
        if replaced is not None:
            replaced_key = replaced.blob_key
            repo.delete_file(replaced)
        expires = (
            now + timedelta(seconds=new.expiration_seconds)
            if new.expiration_seconds is not None
            else None
        )
        row = StoredFile(
            file_id=new.file_id or self.ids.new(),
            owner=new.owner,
            path=new.path,
            file_name=new.file_name,
            blob_key=blob.key,
            size=blob.size,
            content_type=new.content_type,
            acl=new.acl.to_json(),
            created_at=now,
            updated_at=now,
            expires_at=expires,
        )
        repo.add_file(row)
        return FileView.of(row), replaced_key

    async def release_orphan(self, blob: Blob) -> None:
        """A stored blob that no record will reference: leave it to the sweeper."""
        now = self.clock.now()

        def work(repo: FileRepository) -> None:
            repo.reference_blob(blob.key, blob.size, now)
            repo.release_if_unreferenced({blob.key}, now)

        await self.db(work, write=True)
