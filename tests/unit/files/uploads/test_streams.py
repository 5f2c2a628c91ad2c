"""Streaming into the store: a size the disk cannot take is refused before reading a byte."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from impasto.files.streams import SPACE_CHECK_BYTES, require_space, store_stream
from impasto.kit.diskspace import DiskSpace
from impasto.kit.errors import InsufficientStorage, PayloadTooLarge
from impasto.storage.local import STAGING, LocalObjectStore
from impasto.storage.memory import MemoryObjectStore

pytestmark = pytest.mark.anyio


class Body:
    """A request body that records whether anyone started reading it."""

    def __init__(self, *chunks: bytes) -> None:
        self.chunks = chunks
        self.read = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.read += 1
            yield chunk


def _store(tmp_path: Path, free: int, reserve: int = 0) -> LocalObjectStore:
    root = tmp_path / "objects"
    return LocalObjectStore(root, space=DiskSpace(root, reserve=reserve, free=lambda _: free))


def _too_large() -> PayloadTooLarge:
    return PayloadTooLarge("too large")


async def test_a_declared_length_over_the_free_space_is_refused_unread(tmp_path: Path) -> None:
    store = _store(tmp_path, free=10_000, reserve=1_000)
    body = Body(b"x" * 9_500)
    with pytest.raises(InsufficientStorage, match="out of disk space"):
        await store_stream(
            store, body.__aiter__(), limit=1 << 20, too_large=_too_large, expected_length=9_500
        )
    assert body.read == 0
    assert not (store.root / STAGING).exists()

    fits = Body(b"x" * 9_000)
    blob = await store_stream(
        store, fits.__aiter__(), limit=1 << 20, too_large=_too_large, expected_length=9_000
    )
    assert blob.size == 9_000


async def test_a_stream_of_unknown_length_stops_at_the_reserve(tmp_path: Path) -> None:
    free = [SPACE_CHECK_BYTES * 3]

    def shrinking(_: Path) -> int:
        return free[0]

    root = tmp_path / "objects"
    store = LocalObjectStore(root, space=DiskSpace(root, reserve=SPACE_CHECK_BYTES, free=shrinking))

    async def body() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b"y" * SPACE_CHECK_BYTES
            free[0] -= SPACE_CHECK_BYTES  # what the write took from the disk

    with pytest.raises(InsufficientStorage):
        await store_stream(store, body(), limit=1 << 40, too_large=_too_large)
    assert list((root / STAGING).iterdir()) == []


def test_stores_without_a_disk_are_never_refused() -> None:
    require_space(MemoryObjectStore(), 1 << 50)
