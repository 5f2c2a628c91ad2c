"""In-memory ObjectStore for tests: same contract as the real adapters, no I/O."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from impasto.storage.protocol import Blob, BlobNotFound, check_range

_CHUNK = 1 << 20


class MemoryBlobWriter:
    def __init__(self, store: MemoryObjectStore) -> None:
        self._store = store
        self._chunks: list[bytes] = []
        self._hash = hashlib.sha256()
        self._size = 0
        self._done = False

    @property
    def size(self) -> int:
        return self._size

    async def write(self, chunk: bytes) -> None:
        if self._done:
            raise RuntimeError("writer is closed")
        self._chunks.append(bytes(chunk))
        self._hash.update(chunk)
        self._size += len(chunk)

    async def commit(self) -> Blob:
        if self._done:
            raise RuntimeError("writer is closed")
        self._done = True
        key = self._hash.hexdigest()
        # Identical bytes share one blob: keep the first copy.
        self._store.blobs.setdefault(key, b"".join(self._chunks))
        self._chunks = []
        return Blob(key=key, size=self._size)

    async def abort(self) -> None:
        self._done = True
        self._chunks = []


class MemoryObjectStore:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def writer(self) -> MemoryBlobWriter:
        return MemoryBlobWriter(self)

    async def stat(self, key: str) -> Blob | None:
        data = self.blobs.get(key)
        return None if data is None else Blob(key=key, size=len(data))

    async def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        check_range(start, end)
        data = self.blobs.get(key)
        if data is None:
            raise BlobNotFound(key)
        stop = len(data) if end is None else min(end, len(data))
        for offset in range(start, stop, _CHUNK):
            yield data[offset : min(offset + _CHUNK, stop)]

    async def concat(self, keys: Sequence[str]) -> Blob:
        missing = [key for key in keys if key not in self.blobs]
        if missing:
            raise BlobNotFound(missing[0])
        writer = self.writer()
        for key in keys:
            await writer.write(self.blobs[key])
        return await writer.commit()

    async def delete(self, key: str) -> None:
        self.blobs.pop(key, None)

    async def keys(self) -> AsyncIterator[str]:
        for key in list(self.blobs):
            yield key

    def local_path(self, key: str) -> Path | None:
        return None

    def space_left(self) -> int | None:
        return None


__all__ = ["MemoryBlobWriter", "MemoryObjectStore"]
