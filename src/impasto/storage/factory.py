"""Builds the configured ObjectStore from Settings (wired once, in the container)."""

from __future__ import annotations

from impasto.config import Settings, StorageBackend
from impasto.storage.protocol import ObjectStore


def build_object_store(settings: Settings) -> ObjectStore:
    if settings.storage_backend is StorageBackend.MEMORY:
        from impasto.storage.memory import MemoryObjectStore

        return MemoryObjectStore()
    if settings.storage_backend is StorageBackend.S3:
        from impasto.storage.s3 import S3ObjectStore, make_s3_client

        assert settings.s3_bucket is not None  # checked by Settings
        return S3ObjectStore(make_s3_client(settings), settings.s3_bucket, settings.s3_prefix)
    from impasto.kit.diskspace import DiskSpace
    from impasto.storage.local import LocalObjectStore

    root = settings.data_dir / "objects"
    return LocalObjectStore(root, space=DiskSpace(root, reserve=settings.min_free_disk_bytes))
