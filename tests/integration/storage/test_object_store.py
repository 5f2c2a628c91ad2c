"""The ObjectStore contract: every test runs on memory, local and S3 (moto) adapters."""

from __future__ import annotations

import hashlib
import os

import anyio
import pytest

from impasto.storage import Blob, BlobNotFound, ObjectStore
from tests.integration.storage.helpers import listed

pytestmark = pytest.mark.anyio
MiB = 1 << 20


def payload(size: int) -> bytes:
    return os.urandom(size)


async def put(store: ObjectStore, data: bytes, chunk: int = 64 * 1024) -> Blob:
    writer = store.writer()
    for offset in range(0, len(data), chunk):
        await writer.write(data[offset : offset + chunk])
    assert writer.size == len(data)
    return await writer.commit()


async def get(store: ObjectStore, key: str, start: int = 0, end: int | None = None) -> bytes:
    return b"".join([chunk async for chunk in store.read(key, start, end)])


async def all_keys(store: ObjectStore) -> list[str]:
    return await listed(store)


async def test_round_trip_is_keyed_by_sha256(store: ObjectStore) -> None:
    data = b"hello, impasto"
    blob = await put(store, data)
    assert blob == Blob(key=hashlib.sha256(data).hexdigest(), size=len(data))
    assert await get(store, blob.key) == data
    assert await store.stat(blob.key) == blob
    assert await all_keys(store) == [blob.key]


async def test_empty_blob(store: ObjectStore) -> None:
    blob = await store.writer().commit()
    assert blob == Blob(key=hashlib.sha256(b"").hexdigest(), size=0)
    assert await get(store, blob.key) == b""
    assert await get(store, blob.key, 0, 0) == b""


async def test_large_stream_round_trips(store: ObjectStore) -> None:
    data = payload(12 * MiB + 12345)
    blob = await put(store, data)
    assert blob.key == hashlib.sha256(data).hexdigest()
    assert blob.size == len(data)
    assert await get(store, blob.key) == data
    # A range across the internal chunk and part boundaries.
    assert await get(store, blob.key, MiB - 7, 9 * MiB + 3) == data[MiB - 7 : 9 * MiB + 3]


@pytest.mark.parametrize(
    ("start", "end"),
    [(0, None), (0, 1), (3, 7), (5, None), (0, 10), (9, 10), (4, 4), (0, 500), (10, None)],
)
async def test_ranges(store: ObjectStore, start: int, end: int | None) -> None:
    data = b"0123456789"
    blob = await put(store, data)
    assert await get(store, blob.key, start, end) == data[start:end]


async def test_range_past_the_end_yields_nothing(store: ObjectStore) -> None:
    blob = await put(store, b"abc")
    assert await get(store, blob.key, 10, 20) == b""
    assert await get(store, blob.key, 10) == b""


@pytest.mark.parametrize(("start", "end"), [(-1, None), (5, 2)])
async def test_bad_ranges_are_refused(store: ObjectStore, start: int, end: int | None) -> None:
    blob = await put(store, b"0123456789")
    with pytest.raises(ValueError, match="bad byte range"):
        await get(store, blob.key, start, end)


@pytest.mark.parametrize(
    "key",
    [
        "0" * 64,
        "not-a-key",
        "../../etc/passwd",
        "A" * 64,
        "",
        "/" + "0" * 63,
    ],
)
async def test_unknown_keys(store: ObjectStore, key: str) -> None:
    assert await store.stat(key) is None
    with pytest.raises(BlobNotFound):
        await get(store, key)
    with pytest.raises(BlobNotFound):
        await get(store, key, 0, 0)
    await store.delete(key)  # not an error
    assert store.local_path(key) is None


async def test_delete(store: ObjectStore) -> None:
    keep = await put(store, b"keep")
    gone = await put(store, b"gone")
    await store.delete(gone.key)
    await store.delete(gone.key)
    assert await store.stat(gone.key) is None
    with pytest.raises(BlobNotFound):
        await get(store, gone.key)
    assert await all_keys(store) == [keep.key]


async def test_identical_bytes_share_one_blob(store: ObjectStore) -> None:
    first = await put(store, b"same bytes", chunk=3)
    second = await put(store, b"same bytes", chunk=100)
    assert first == second
    assert await all_keys(store) == [first.key]
    assert await get(store, first.key) == b"same bytes"


async def test_concurrent_identical_writes(store: ObjectStore) -> None:
    data = payload(9 * MiB)
    results: list[Blob] = []

    async def upload() -> None:
        results.append(await put(store, data, chunk=256 * 1024))

    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(upload)
    assert len({blob.key for blob in results}) == 1
    assert await all_keys(store) == [results[0].key]
    assert await get(store, results[0].key) == data


async def test_abort_leaves_nothing(store: ObjectStore) -> None:
    writer = store.writer()
    await writer.write(payload(9 * MiB))  # past one S3 part, so a multipart upload exists
    await writer.write(b"tail")
    await writer.abort()
    await writer.abort()  # twice is fine
    assert await all_keys(store) == []
    with pytest.raises(RuntimeError):
        await writer.commit()


async def test_abort_after_commit_keeps_the_blob(store: ObjectStore) -> None:
    writer = store.writer()
    await writer.write(b"kept")
    blob = await writer.commit()
    await writer.abort()
    assert await get(store, blob.key) == b"kept"
    with pytest.raises(RuntimeError):
        await writer.write(b"more")


async def test_abandoned_writer_publishes_nothing(store: ObjectStore) -> None:
    # A crash mid-write: the writer is never committed nor aborted.
    writer = store.writer()
    data = payload(9 * MiB)
    await writer.write(data)
    assert await all_keys(store) == []
    assert await store.stat(hashlib.sha256(data).hexdigest()) is None
    await writer.abort()  # what the crash would have released: the open staging file


async def test_concat_small_parts(store: ObjectStore) -> None:
    parts = [await put(store, text) for text in (b"alpha-", b"beta-", b"gamma")]
    blob = await store.concat([part.key for part in parts])
    assert await get(store, blob.key) == b"alpha-beta-gamma"
    assert blob == Blob(key=hashlib.sha256(b"alpha-beta-gamma").hexdigest(), size=16)


async def test_concat_large_parts(store: ObjectStore) -> None:
    # Parts of >= 5 MiB take the server-side copy path on S3.
    first, second = payload(5 * MiB), payload(MiB + 5)
    parts = [await put(store, first), await put(store, second)]
    blob = await store.concat([part.key for part in parts])
    assert blob.size == len(first) + len(second)
    assert blob.key == hashlib.sha256(first + second).hexdigest()
    assert await get(store, blob.key, 5 * MiB - 2, 5 * MiB + 2) == first[-2:] + second[:2]
    assert sorted([*[p.key for p in parts], blob.key]) == await all_keys(store)


async def test_concat_of_one_part_and_repeated_parts(store: ObjectStore) -> None:
    part = await put(store, b"ab")
    assert (await store.concat([part.key])).key == part.key
    repeated = await store.concat([part.key, part.key, part.key])
    assert await get(store, repeated.key) == b"ababab"


async def test_concat_with_a_missing_part_publishes_nothing(store: ObjectStore) -> None:
    part = await put(store, b"present")
    with pytest.raises(BlobNotFound):
        await store.concat([part.key, "f" * 64])
    assert await all_keys(store) == [part.key]
