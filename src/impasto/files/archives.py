"""Extracting an uploaded ZIP into project storage (``file/local?unzip=true``).

Every entry is checked before anything is extracted: its path must be a valid project
path under the target (no ``..``, absolute or drive paths: "zip slip"), symbolic links
and other special entries are refused, and the declared sizes must fit the upload limit
and quota (zip bombs). Sizes are enforced again while extracting, since headers can lie,
and zipfile's CRC check catches corrupt data. All files are recorded in one transaction.
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
from impasto.kit.errors import InvalidRequest
from impasto.storage import Blob

MAX_ENTRIES = 10_000
CHUNK = 1 << 20


async def extract_zip(core: FilesCore, owner: str, target: str, archive: Blob) -> list[FileView]:
    """Store each file of ``archive`` under ``target/``; the archive itself is not kept."""
    try:
        with tempfile.TemporaryDirectory(prefix="impasto-unzip-") as scratch:
            path = core.store.local_path(archive.key)
            if path is None:  # remote stores: copy it down once, zipfile needs to seek
                path = Path(scratch) / "archive.zip"
                await _download(core, archive.key, path)
            return await _extract(core, owner, target, path)
    finally:
        await core.release_orphan(archive)


async def _download(core: FilesCore, key: str, path: Path) -> None:
    file = await to_thread.run_sync(path.open, "wb")
    try:
        async for chunk in core.store.read(key):
            await to_thread.run_sync(file.write, chunk)
    finally:
        await to_thread.run_sync(file.close)


async def _extract(core: FilesCore, owner: str, target: str, path: Path) -> list[FileView]:
    try:
        archive = await to_thread.run_sync(zipfile.ZipFile, path)
    except (zipfile.BadZipFile, OSError):
        raise InvalidRequest("The upload is not a valid ZIP archive") from None
    stored: list[tuple[NewFile, Blob]] = []
    try:
        entries = _plan(archive, target)
        room = await core.room_for(owner)
        if sum(info.file_size for info, _ in entries) > room:
            raise core.too_large(room)()
        for info, file_path in entries:
            blob = await core.store_body_limited(
                _entry_chunks(archive, info), limit=room, expected_length=info.file_size
            )
            room -= blob.size
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


async def _entry_chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> AsyncIterator[bytes]:
    try:
        source: IO[bytes] = await to_thread.run_sync(archive.open, info)
        try:
            while chunk := await to_thread.run_sync(source.read, CHUNK):
                yield chunk
        finally:
            source.close()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError) as exc:
        raise InvalidRequest(f"Archive entry {info.filename!r} cannot be read: {exc}") from None


__all__ = ["extract_zip"]
