"""The ObjectStore protocol: immutable blobs keyed by the sha256 of their bytes.

A blob is written through a ``BlobWriter`` that stages bytes out of sight and publishes
them atomically under their digest on ``commit``; a crash or ``abort`` leaves nothing
visible. Identical bytes share one blob. Who owns a blob, its name, content type and
expiry live in the database (the files service), so a blob may be referenced many times
and is deleted only when nothing references it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Blob:
    key: str  # lowercase hex sha256 of the bytes
    size: int


class BlobWriter(Protocol):
    @property
    def size(self) -> int:
        """Bytes written so far."""
        ...

    async def write(self, chunk: bytes) -> None: ...

    async def commit(self) -> Blob:
        """Publish the bytes under their sha256; if that blob exists, keep it and drop ours."""
        ...

    async def abort(self) -> None:
        """Discard what was written. Safe to call after commit or twice."""
        ...


class ObjectStore(Protocol):
    def writer(self) -> BlobWriter: ...

    async def stat(self, key: str) -> Blob | None: ...

    def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Yield bytes [start, end) of the blob (end exclusive, None = to the end).

        An ``end`` past the blob is clamped and a ``start`` past it yields nothing, so
        callers validate ranges against ``stat``; ``start < 0`` or ``end < start`` raise
        ``ValueError``. Raises ``BlobNotFound`` before yielding when the blob does not exist.
        """
        ...

    async def concat(self, keys: Sequence[str]) -> Blob:
        """A new blob made of the given blobs in order (multipart upload completion).

        Raises ``BlobNotFound`` when any part is missing; nothing is published then.
        """
        ...

    async def delete(self, key: str) -> None:
        """Remove the blob; a missing blob is not an error."""
        ...

    def keys(self) -> AsyncIterator[str]:
        """Every blob key, for garbage collection and audits."""
        ...

    def local_path(self, key: str) -> Path | None:
        """A filesystem path holding the blob, when the adapter has one (zero-copy serving)."""
        ...

    def space_left(self) -> int | None:
        """Bytes the store may still take before its disk reaches the free-space reserve.

        None when the adapter cannot tell or has no such limit (S3, memory). Writes that
        fail for lack of space raise ``InsufficientStorage`` (507), never a raw ``OSError``.
        """
        ...


class BlobNotFound(LookupError):
    """The blob does not exist in the store."""


_KEY = re.compile(r"[0-9a-f]{64}")


def is_blob_key(key: str) -> bool:
    """True for a well-formed key; anything else names no blob (and never a path)."""
    return _KEY.fullmatch(key) is not None


def check_range(start: int, end: int | None) -> None:
    if start < 0 or (end is not None and end < start):
        raise ValueError(f"bad byte range [{start}, {end})")
