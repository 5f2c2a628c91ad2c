"""What only the local adapter promises: its layout on disk, paths, staging hygiene."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from impasto.kit.diskspace import DiskSpace
from impasto.kit.errors import InsufficientStorage
from impasto.storage.local import STAGING, WRITE_BUFFER, LocalObjectStore
from tests.integration.storage.helpers import listed
from tests.small_disk import small_disk

pytestmark = pytest.mark.anyio


def staged(root: Path) -> list[Path]:
    staging = root / STAGING
    return sorted(staging.iterdir()) if staging.exists() else []


async def test_blobs_live_under_their_digest_read_only(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    writer = store.writer()
    await writer.write(b"on disk")
    blob = await writer.commit()
    path = store.local_path(blob.key)
    assert path == tmp_path / "objects" / blob.key[:2] / blob.key[2:4] / blob.key
    assert path.read_bytes() == b"on disk"
    assert stat.S_IMODE(path.stat().st_mode) == 0o400
    assert staged(store.root) == []


async def test_abort_removes_the_staging_file(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    writer = store.writer()
    # The second full buffer waits for the first one's background write: the file exists.
    await writer.write(b"x" * WRITE_BUFFER)
    await writer.write(b"x" * WRITE_BUFFER)
    assert len(staged(store.root)) == 1
    await writer.abort()
    assert staged(store.root) == []


async def test_crashed_writer_leaves_an_invisible_staging_file_that_purge_removes(
    tmp_path: Path,
) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    writer = store.writer()
    await writer.write(b"y" * WRITE_BUFFER)
    await writer.abort()
    # What a killed process leaves behind: a staging file nobody will finish.
    leftover = store.root / STAGING / "blob-crashed"
    leftover.write_bytes(b"half a file")
    old = datetime(2020, 1, 1, tzinfo=UTC)
    os.utime(leftover, (old.timestamp(), old.timestamp()))
    fresh = store.root / STAGING / "blob-in-progress"
    fresh.write_bytes(b"still being written")
    assert await listed(store) == []
    assert store.purge_staging(before=old + timedelta(days=1)) == 1
    assert staged(store.root) == [fresh]


async def test_stray_files_are_not_keys(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    (store.root / "ab" / "cd").mkdir(parents=True)
    (store.root / "ab" / "cd" / "notes.txt").write_text("not a blob")
    (store.root / "README").write_text("not a blob either")
    assert await listed(store) == []
    assert store.purge_staging(before=datetime(2030, 1, 1, tzinfo=UTC)) == 0


async def _put(store: LocalObjectStore, data: bytes) -> str:
    writer = store.writer()
    await writer.write(data)
    return (await writer.commit()).key


async def _read(store: LocalObjectStore, key: str) -> bytes:
    return b"".join([chunk async for chunk in store.read(key)])


async def test_a_write_that_fills_the_disk_is_507_and_leaves_no_staging_file(
    tmp_path: Path,
) -> None:
    with small_disk(tmp_path / "disk", 2 << 20) as disk:
        store = LocalObjectStore(disk / "objects")
        kept = await _put(store, b"k" * 100_000)
        writer = store.writer()

        async def write_12_mib() -> None:
            # The first 4 MiB round fails in the background; the next write or commit says so.
            for _ in range(3):
                await writer.write(b"x" * WRITE_BUFFER)
            await writer.commit()

        with pytest.raises(InsufficientStorage, match="out of disk space"):
            await write_12_mib()
        await writer.abort()  # what callers do anyway: harmless after the failure
        assert staged(store.root) == []
        assert await listed(store) == [kept]
        assert await _read(store, kept) == b"k" * 100_000
        # The space came back: the next write fits again.
        assert await _read(store, await _put(store, b"after")) == b"after"


async def test_a_commit_that_fills_the_disk_leaves_nothing(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", 1 << 20) as disk:
        store = LocalObjectStore(disk / "objects")
        writer = store.writer()
        await writer.write(b"y" * (2 << 20))  # under one buffer: written at commit
        with pytest.raises(InsufficientStorage):
            await writer.commit()
        assert staged(store.root) == []
        assert await listed(store) == []


async def test_concat_on_a_full_disk_keeps_the_parts(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", 1 << 20) as disk:
        store = LocalObjectStore(disk / "objects")
        parts = [await _put(store, bytes([n]) * 400_000) for n in (1, 2)]
        with pytest.raises(InsufficientStorage):
            await store.concat(parts)
        assert staged(store.root) == []
        assert await listed(store) == sorted(parts)
        assert await _read(store, parts[1]) == bytes([2]) * 400_000


def test_space_left_is_the_free_space_above_the_reserve(tmp_path: Path) -> None:
    asked: list[Path] = []

    def free(path: Path) -> int:
        asked.append(path)
        return 5_000

    store = LocalObjectStore(
        tmp_path / "objects", space=DiskSpace(tmp_path / "objects", reserve=1_000, free=free)
    )
    assert store.space_left() == 4_000
    assert asked == [tmp_path / "objects"]
