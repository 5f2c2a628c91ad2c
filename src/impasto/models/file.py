"""Stored files: records that point at content-addressed blobs, plus uploads in flight.

Bytes live in the ObjectStore under their sha256; these tables say who owns what, under
which name, until when and who may read it. A blob is deleted by the sweeper only once no
file and no upload part references it (``blobs.released_at`` marks when that happened).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from impasto.kit.db.types import UTCDateTime
from impasto.models.base import Base


class BlobRecord(Base):
    """One blob in the object store; the row exists while anything may reference it."""

    __tablename__ = "blobs"
    __table_args__ = (Index(None, "released_at"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set when the last reference went away; the sweeper deletes the blob after a grace time.
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class StoredFile(Base):
    """A file an owner uploaded: a CDN-style upload (``path`` NULL) or a project file."""

    __tablename__ = "files"
    __table_args__ = (
        UniqueConstraint("owner", "path"),
        Index(None, "blob_key"),
        Index(None, "expires_at"),
    )

    file_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(ForeignKey("accounts.name", ondelete="CASCADE"))
    # Path in the owner's project storage (Platform files API); NULL for /files uploads.
    path: Mapped[str | None] = mapped_column(String(1024), default=None)
    file_name: Mapped[str] = mapped_column(String(255))
    blob_key: Mapped[str] = mapped_column(ForeignKey("blobs.key"))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(255))
    # fal's ACL: {"default": "allow|forbid|hide", "rules": [{"user", "decision"}]}.
    acl: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class PendingUpload(Base):
    """An upload that was initiated and not yet completed (signed PUT or multipart)."""

    __tablename__ = "pending_uploads"
    __table_args__ = (Index(None, "stale_at"),)

    upload_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    file_id: Mapped[str] = mapped_column(String(36), unique=True)
    owner: Mapped[str] = mapped_column(ForeignKey("accounts.name", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # "single" or "multipart"
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    acl: Mapped[dict[str, Any]] = mapped_column(JSON)
    expiration_seconds: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Past this the upload is abandoned: the sweeper removes it and releases its parts.
    stale_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UploadPart(Base):
    """One part of a multipart upload; its bytes are a blob of their own until completion."""

    __tablename__ = "upload_parts"

    upload_id: Mapped[str] = mapped_column(
        ForeignKey("pending_uploads.upload_id", ondelete="CASCADE"), primary_key=True
    )
    part_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    blob_key: Mapped[str] = mapped_column(ForeignKey("blobs.key"), index=True)
    size: Mapped[int] = mapped_column(BigInteger)


class OwnerStorageSettings(Base):
    """Per-owner defaults for new uploads (fal's ``/v1/storage/settings``)."""

    __tablename__ = "storage_settings"

    owner: Mapped[str] = mapped_column(
        ForeignKey("accounts.name", ondelete="CASCADE"), primary_key=True
    )
    expiration_duration_seconds: Mapped[int | None] = mapped_column(BigInteger, default=None)
    initial_acl: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
