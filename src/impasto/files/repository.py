"""SQL for files, blobs, pending uploads and storage settings. Flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from impasto.models import (
    Account,
    BlobRecord,
    OwnerStorageSettings,
    PendingUpload,
    StoredFile,
    UploadPart,
)


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


class FileRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def session(self) -> Session:
        return self._session

    # -- accounts -------------------------------------------------------------------------

    def existing_accounts(self, names: set[str]) -> set[str]:
        if not names:
            return set()
        rows = self._session.scalars(select(Account.name).where(Account.name.in_(names)))
        return set(rows)

    # -- blobs ----------------------------------------------------------------------------

    def reference_blob(self, key: str, size: int, now: datetime) -> None:
        """Make sure the blob row exists and is not marked released (upsert)."""
        dialect = self._session.get_bind().dialect.name
        module: Any = postgresql if dialect == "postgresql" else sqlite
        statement = module.insert(BlobRecord).values(
            key=key, size=size, created_at=now, released_at=None
        )
        statement = statement.on_conflict_do_update(
            index_elements=["key"], set_={"released_at": None}
        )
        self._session.execute(statement)

    def release_if_unreferenced(self, keys: set[str], now: datetime) -> None:
        """Mark blobs nothing references any more; the sweeper deletes them later."""
        for key in keys:
            if not self._is_referenced(key):
                self._session.execute(
                    update(BlobRecord)
                    .where(BlobRecord.key == key, BlobRecord.released_at.is_(None))
                    .values(released_at=now)
                )

    def _is_referenced(self, key: str) -> bool:
        return bool(
            self._session.scalar(
                select(
                    exists().where(StoredFile.blob_key == key)
                    | exists().where(UploadPart.blob_key == key)
                )
            )
        )

    def releasable_blobs(self, cutoff: datetime, limit: int) -> list[str]:
        return list(
            self._session.scalars(
                select(BlobRecord.key)
                .where(BlobRecord.released_at.is_not(None), BlobRecord.released_at < cutoff)
                .limit(limit)
            )
        )

    def delete_blob_row(self, key: str) -> bool:
        """Delete the row if still released and unreferenced; True if it was deleted."""
        if self._is_referenced(key):
            self._session.execute(
                update(BlobRecord).where(BlobRecord.key == key).values(released_at=None)
            )
            return False
        result = self._session.execute(
            delete(BlobRecord).where(BlobRecord.key == key, BlobRecord.released_at.is_not(None))
        )
        return bool(getattr(result, "rowcount", 0))

    def known_blob_keys(self, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        return set(self._session.scalars(select(BlobRecord.key).where(BlobRecord.key.in_(keys))))

    # -- files ----------------------------------------------------------------------------

    def add_file(self, record: StoredFile) -> None:
        self._session.add(record)
        self._session.flush()

    def get_file(self, file_id: str) -> StoredFile | None:
        return self._session.get(StoredFile, file_id)

    def get_by_path(self, owner: str, path: str) -> StoredFile | None:
        return self._session.scalar(
            select(StoredFile).where(StoredFile.owner == owner, StoredFile.path == path)
        )

    def delete_file(self, record: StoredFile) -> None:
        self._session.delete(record)
        self._session.flush()

    def delete_files(self, file_ids: list[str]) -> None:
        """Bulk delete; rows another process removed first are simply not there."""
        if file_ids:
            self._session.execute(delete(StoredFile).where(StoredFile.file_id.in_(file_ids)))

    def files_under(self, owner: str, prefix: str, now: datetime) -> list[StoredFile]:
        """Project files whose path starts with ``prefix`` (``""``: all of them)."""
        query = select(StoredFile).where(
            StoredFile.owner == owner,
            StoredFile.path.is_not(None),
            (StoredFile.expires_at.is_(None)) | (StoredFile.expires_at > now),
        )
        if prefix:
            query = query.where(StoredFile.path.like(_like_prefix(prefix), escape="\\"))
        return list(self._session.scalars(query.order_by(StoredFile.path)))

    def usage(self, owner: str) -> int:
        """Bytes the owner holds: files plus parts of unfinished uploads."""
        files = self._session.scalar(
            select(func.coalesce(func.sum(StoredFile.size), 0)).where(StoredFile.owner == owner)
        )
        parts = self._session.scalar(
            select(func.coalesce(func.sum(UploadPart.size), 0))
            .join(PendingUpload, PendingUpload.upload_id == UploadPart.upload_id)
            .where(PendingUpload.owner == owner)
        )
        return int(files or 0) + int(parts or 0)

    def expired_files(self, now: datetime, limit: int) -> list[StoredFile]:
        return list(
            self._session.scalars(
                select(StoredFile)
                .where(StoredFile.expires_at.is_not(None), StoredFile.expires_at <= now)
                .limit(limit)
            )
        )

    def set_acl(self, record: StoredFile, acl: dict[str, Any], now: datetime) -> None:
        record.acl = acl
        record.updated_at = now
        self._session.flush()

    # -- pending uploads ------------------------------------------------------------------

    def add_upload(self, upload: PendingUpload) -> None:
        self._session.add(upload)
        self._session.flush()

    def get_upload(self, upload_id: str) -> PendingUpload | None:
        return self._session.get(PendingUpload, upload_id)

    def delete_upload(self, upload: PendingUpload) -> set[str]:
        """Delete the upload and its parts; returns the part blob keys to release."""
        keys = set(
            self._session.scalars(
                select(UploadPart.blob_key).where(UploadPart.upload_id == upload.upload_id)
            )
        )
        self._session.execute(delete(UploadPart).where(UploadPart.upload_id == upload.upload_id))
        self._session.delete(upload)
        self._session.flush()
        return keys

    def put_part(self, upload_id: str, number: int, key: str, size: int) -> str | None:
        """Store or replace a part; returns the blob key it replaced, if any."""
        old = self._session.get(UploadPart, (upload_id, number))
        if old is not None:
            replaced = old.blob_key
            old.blob_key, old.size = key, size
            self._session.flush()
            return replaced if replaced != key else None
        self._session.execute(
            insert(UploadPart).values(
                upload_id=upload_id, part_number=number, blob_key=key, size=size
            )
        )
        return None

    def parts(self, upload_id: str) -> list[UploadPart]:
        return list(
            self._session.scalars(
                select(UploadPart)
                .where(UploadPart.upload_id == upload_id)
                .order_by(UploadPart.part_number)
            )
        )

    def stale_uploads(self, now: datetime, limit: int) -> list[PendingUpload]:
        return list(
            self._session.scalars(
                select(PendingUpload).where(PendingUpload.stale_at <= now).limit(limit)
            )
        )

    # -- storage settings -----------------------------------------------------------------

    def get_settings(self, owner: str) -> OwnerStorageSettings | None:
        return self._session.get(OwnerStorageSettings, owner)

    def put_settings(
        self, owner: str, expiration: int | None, acl: dict[str, Any] | None, now: datetime
    ) -> OwnerStorageSettings:
        row = self._session.get(OwnerStorageSettings, owner)
        if row is None:
            row = OwnerStorageSettings(owner=owner, updated_at=now)
            self._session.add(row)
        row.expiration_duration_seconds = expiration
        row.initial_acl = acl
        row.updated_at = now
        self._session.flush()
        return row


__all__ = ["FileRepository"]
