"""Extracting an uploaded ZIP into project storage (``file/local?unzip=true``).

Every entry is checked before anything is extracted: its path must be a valid project
path under the target (no ``..``, absolute or drive paths: "zip slip"), symbolic links
and other special entries are refused, and the declared sizes must pass the zip-bomb
checks: the total under ``unzip_max_bytes``, the upload limit, the quota and the disk's
free space, and no entry (or the whole archive), once past 1 MiB, expanding more than
``unzip_max_ratio`` times its compressed size. Headers can lie, so the bytes are counted
again while extracting: an entry must yield exactly the size it declares, and zipfile's
CRC check catches corrupt data. All files are recorded in one transaction; on any
refusal none is, and the blobs already written are released for the sweeper.
"""

from __future__ import annotations

import stat
import tempfile
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO

from anyio import to_thread

from impasto.files.acl import PRIVATE
from impasto.files.core import FilesCore, FileView, NewFile
from impasto.files.paths import guess_content_type, validate_path
from impasto.files.streams import require_space, store_stream
from impasto.kit.errors import InvalidRequest, PayloadTooLarge
from impasto.storage import Blob

MAX_ENTRIES = 10_000
CHUNK = 1 << 20
# Below this, an entry (or archive) may compress as well as it likes: small text files
# of repeated lines legitimately reach ratios over 100:1, and cost nothing to expand.
RATIO_FLOOR = 1 << 20


async def extract_zip(core: FilesCore, owner: str, target: str, archive: Blob) -> list[FileView]:
    """Store each file of ``archive`` under ``target/``; the archive itself is not kept."""
    try:
        with tempfile.TemporaryDirectory(prefix="impasto-unzip-") as scratch:
            path = core.store.local_path(archive.key)
            if path is None:  # remote stores: copy it down once, zipfile needs to seek
                path = Path(scratch) / "archive.zip"
                await _download(core, archive.key, path)
            return await _extract(core, owner, target, path, archive.size)
    finally:
        await core.release_orphan(archive)


async def _download(core: FilesCore, key: str, path: Path) -> None:
    file = await to_thread.run_sync(path.open, "wb")
    try:
        async for chunk in core.store.read(key):
            await to_thread.run_sync(file.write, chunk)
    finally:
        await to_thread.run_sync(file.close)


async def _extract(
    core: FilesCore, owner: str, target: str, path: Path, archive_size: int
) -> list[FileView]:
    try:
        archive = await to_thread.run_sync(zipfile.ZipFile, path)
    except (zipfile.BadZipFile, OSError):
        raise InvalidRequest("The upload is not a valid ZIP archive") from None
    stored: list[tuple[NewFile, Blob]] = []
    try:
        entries = _plan(archive, target)
        declared = sum(info.file_size for info, _ in entries)
        _check_expansion(core, entries, declared, archive_size)
        room = await core.room_for(owner)
        if declared > room:
            raise core.too_large(room)()
        require_space(core.store, declared)
        # Actual bytes, counted across all entries, never pass what was declared and checked.
        budget = declared
        for info, file_path in entries:
            blob = await store_stream(
                core.store,
                _entry_chunks(archive, info),
                limit=budget,
                too_large=lambda: _expands_too_far(core, declared),
            )
            budget -= blob.size
            stored.append(
                (
                    NewFile(
                        owner=owner,
                        file_name=file_path.rsplit("/", 1)[-1],
                        content_type=guess_content_type(file_path),
                        acl=PRIVATE,
                        expiration_seconds=None,
                        path=file_path,
                    ),
                    blob,
                )
            )
    except BaseException:
        for _, blob in stored:
            await core.release_orphan(blob)
        raise
    finally:
        archive.close()
    return await core.record_many(stored)


def _plan(archive: zipfile.ZipFile, target: str) -> list[tuple[zipfile.ZipInfo, str]]:
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise InvalidRequest(f"The archive has more than {MAX_ENTRIES} entries")
    plan: list[tuple[zipfile.ZipInfo, str]] = []
    for info in infos:
        if info.is_dir():
            continue
        kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the archiver set no type
        if kind not in (0, stat.S_IFREG):
            raise InvalidRequest(f"Archive entry {info.filename!r} is a link or special file")
        if info.flag_bits & 0x1:
            raise InvalidRequest("Encrypted archives are not supported")
        plan.append((info, validate_path(f"{target}/{info.filename}", what="archive entry")))
    return plan


def _check_expansion(
    core: FilesCore, entries: list[tuple[zipfile.ZipInfo, str]], declared: int, archive_size: int
) -> None:
    """Refuse zip bombs from the declared sizes, before a byte is extracted."""
    if declared > core.limits.unzip_max_bytes:
        raise _expands_too_far(core, declared)
    ratio = core.limits.unzip_max_ratio
    for info, _ in entries:
        size, compressed = info.file_size, info.compress_size
        if size > RATIO_FLOOR and size > ratio * compressed:
            raise InvalidRequest(
                f"Archive entry {info.filename!r} expands {_ratio(size, compressed)} times "
                f"its compressed size, more than the {ratio} allowed (a zip bomb?)"
            )
    if declared > RATIO_FLOOR and declared > ratio * archive_size:
        raise InvalidRequest(
            f"The archive expands {_ratio(declared, archive_size)} times its size, "
            f"more than the {ratio} allowed (a zip bomb?)"
        )


def _expands_too_far(core: FilesCore, declared: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The archive expands to {declared} bytes; at most "
        f"{core.limits.unzip_max_bytes} bytes may be extracted from one archive"
    )


def _ratio(size: int, compressed: int) -> str:
    return "unboundedly many" if compressed == 0 else f"{size // compressed}"


async def _entry_chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> AsyncIterator[bytes]:
    """The entry's bytes, which must add up to exactly the size its header declares."""
    produced = 0
    try:
        source: IO[bytes] = await to_thread.run_sync(archive.open, info)
        try:
            while chunk := await to_thread.run_sync(source.read, CHUNK):
                produced += len(chunk)
                if produced > info.file_size:
                    raise _size_mismatch(info)
                yield chunk
        finally:
            source.close()
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        OSError,
        EOFError,  # compressed data that ends before its end-of-stream marker
    ) as exc:
        raise InvalidRequest(f"Archive entry {info.filename!r} cannot be read: {exc}") from None
    if produced != info.file_size:
        raise _size_mismatch(info)


def _size_mismatch(info: zipfile.ZipInfo) -> InvalidRequest:
    return InvalidRequest(
        f"Archive entry {info.filename!r} does not hold the {info.file_size} bytes "
        "its header declares"
    )


__all__ = ["extract_zip"]
