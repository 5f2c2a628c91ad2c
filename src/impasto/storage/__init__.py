"""Content-addressed blob storage behind one small protocol (local, S3-compatible, memory)."""

from impasto.storage.protocol import Blob, BlobNotFound, BlobWriter, ObjectStore

__all__ = ["Blob", "BlobNotFound", "BlobWriter", "ObjectStore"]
