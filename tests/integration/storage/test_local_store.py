"""What only the local adapter promises: its layout on disk, paths, staging hygiene."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from impasto.storage.local import STAGING, WRITE_BUFFER, LocalObjectStore
from tests.integration.storage.helpers import listed

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
