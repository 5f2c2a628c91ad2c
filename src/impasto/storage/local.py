"""ObjectStore on a local directory: ``<root>/ab/cd/<sha256>``, staged in ``<root>/.staging``.

Bytes are hashed while they are written to a staging file on the same filesystem, then
fsynced and hard-linked under their digest, so a blob appears whole or not at all and two
identical uploads end as one file. Blocking calls run in worker threads, a few MiB at a
time, so the event loop stays free and throughput stays near the disk's.

A write that fails for lack of space removes its staging file at once and raises
``InsufficientStorage`` (507); ``space_left`` lets callers refuse a declared size early.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from anyio import to_thread

from impasto.kit.diskspace import OUT_OF_SPACE, DiskSpace, is_disk_full
from impasto.kit.errors import InsufficientStorage
from impasto.kit.logging import get_logger
from impasto.storage.protocol import Blob, BlobNotFound, check_range, is_blob_key

CHUNK_SIZE = 1 << 20  # read size (4 MiB measured no faster, and holds more memory)
WRITE_BUFFER = 4 << 20  # bytes gathered before one hash + write round
STAGING = ".staging"
_log = get_logger(__name__)


class LocalBlobWriter:
    def __init__(self, store: LocalObjectStore) -> None:
        self._store = store
        self._hash = hashlib.sha256()
        self._chunks: list[bytes] = []
        self._buffered = 0
        self._flushing: tuple[Future[None], ...] = ()
        self._file: BinaryIO | None = None
        self._temp: Path | None = None
        self._size = 0
        self._done = False

    @property
    def size(self) -> int:
        return self._size

    async def write(self, chunk: bytes) -> None:
        if self._done:
            raise RuntimeError("writer is closed")
        self._chunks.append(bytes(chunk))
        self._buffered += len(chunk)
        self._size += len(chunk)
        # Bodies arrive in ~64 KiB pieces. Every few MiB, one background round hashes and
        # writes them while the caller goes on receiving: sha256 runs at about disk speed,
        # so overlapping it with the network side keeps uploads near the disk's rate.
        if self._buffered >= WRITE_BUFFER:
            try:
                await self._wait_flush()  # the previous round's write error surfaces here
            except OSError as exc:
                await self.abort()  # a failed writer keeps no staging file
                if is_disk_full(exc):
                    raise _out_of_space(exc) from exc
                raise
            data = b"".join(self._chunks)
            self._chunks, self._buffered = [], 0
            # Hashing and writing each release the GIL: two threads run them side by side.
            executor = self._store.executor
            self._flushing = (
                executor.submit(self._hash.update, data),
                executor.submit(self._write_file_sync, data),
            )

    async def _wait_flush(self) -> None:
        flushing, self._flushing = self._flushing, ()
        if flushing:
            await to_thread.run_sync(_wait_all, flushing)

    async def commit(self) -> Blob:
        if self._done:
            raise RuntimeError("writer is closed")
        self._done = True
        data, self._chunks = b"".join(self._chunks), []
        try:
            await self._wait_flush()
            key = await to_thread.run_sync(self._commit_sync, data)
        except BaseException as exc:
            await to_thread.run_sync(self._discard_sync)
            if is_disk_full(exc):
                raise _out_of_space(exc) from exc
            raise
        return Blob(key=key, size=self._size)

    async def abort(self) -> None:
        self._done = True
        self._chunks = []
        with contextlib.suppress(Exception):
            await self._wait_flush()
        await to_thread.run_sync(self._discard_sync)

    def _open_sync(self) -> BinaryIO:
        if self._file is None:
            staging = self._store.root / STAGING
            staging.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=staging, prefix="blob-")
            self._temp = Path(name)
            self._file = os.fdopen(fd, "wb", buffering=0)
        return self._file

    def _write_file_sync(self, data: bytes) -> None:
        _write_all(self._open_sync(), data)

    def _write_sync(self, data: bytes) -> None:
        self._hash.update(data)
        self._write_file_sync(data)

    def append_file_sync(self, path: Path) -> None:
        """Copy a whole file into the blob (used by ``concat``)."""
        with path.open("rb", buffering=0) as source:
            while chunk := source.read(CHUNK_SIZE):
                self._write_sync(chunk)
                self._size += len(chunk)

    def _commit_sync(self, data: bytes) -> str:
        self._write_sync(data)
        file = self._open_sync()
        os.fsync(file.fileno())
        file.close()
        self._file = None
        key = self._hash.hexdigest()
        assert self._temp is not None
        self._store.publish_sync(self._temp, key)
        self._temp = None
        return key

    def _discard_sync(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._temp is not None:
            self._temp.unlink(missing_ok=True)
            self._temp = None


class LocalObjectStore:
    def __init__(
        self, root: Path, *, flush_threads: int = 8, space: DiskSpace | None = None
    ) -> None:
        self.root = root.expanduser().absolute()
        # Free space on the root's filesystem, less the reserve that uploads must leave.
        self.space = space or DiskSpace(self.root)
        # Background hash+write rounds of writers (one in flight per writer).
        self.executor = ThreadPoolExecutor(flush_threads, thread_name_prefix="blob-flush")

    def writer(self) -> LocalBlobWriter:
        return LocalBlobWriter(self)

    def path_for(self, key: str) -> Path | None:
        if not is_blob_key(key):
            return None
        return self.root / key[:2] / key[2:4] / key

    def publish_sync(self, temp: Path, key: str) -> None:
        target = self.path_for(key)
        assert target is not None
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(temp, 0o400)  # blobs are immutable
        try:
            os.link(temp, target)  # atomic, and never replaces a blob already there
        except FileExistsError:
            pass  # identical bytes are already published: keep them, drop ours
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV):
                raise
            os.replace(temp, target)  # filesystems without hard links
        temp.unlink(missing_ok=True)
        _fsync_dir(target.parent)

    async def stat(self, key: str) -> Blob | None:
        path = self.path_for(key)
        if path is None:
            return None
        try:
            result = await to_thread.run_sync(os.stat, path)
        except FileNotFoundError:
            return None
        return Blob(key=key, size=result.st_size)

    async def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        check_range(start, end)
        path = self.path_for(key)
        if path is None:
            raise BlobNotFound(key)
        try:
            file = await to_thread.run_sync(_open_at, path, start)
        except FileNotFoundError:
            raise BlobNotFound(key) from None
        try:
            remaining = None if end is None else end - start
            while remaining is None or remaining > 0:
                size = CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining)
                data = await to_thread.run_sync(file.read, size)
                if not data:
                    break
                if remaining is not None:
                    remaining -= len(data)
                yield data
        finally:
            file.close()

    async def concat(self, keys: Sequence[str]) -> Blob:
        paths: list[Path] = []
        for key in keys:
            path = self.path_for(key)
            if path is None or not await to_thread.run_sync(path.exists):
                raise BlobNotFound(key)
            paths.append(path)
        writer = self.writer()
        try:
            for path in paths:
                await to_thread.run_sync(writer.append_file_sync, path)
        except FileNotFoundError as exc:
            await writer.abort()
            raise BlobNotFound(str(exc.filename)) from None
        except BaseException as exc:
            await writer.abort()
            if is_disk_full(exc):
                raise _out_of_space(exc) from exc
            raise
        return await writer.commit()

    async def delete(self, key: str) -> None:
        path = self.path_for(key)
        if path is not None:
            await to_thread.run_sync(lambda: path.unlink(missing_ok=True))

    async def keys(self) -> AsyncIterator[str]:
        for first in await to_thread.run_sync(_hex_children, self.root, 2):
            for second in await to_thread.run_sync(_hex_children, first, 2):
                for leaf in await to_thread.run_sync(_hex_children, second, 64):
                    yield leaf.name

    def local_path(self, key: str) -> Path | None:
        path = self.path_for(key)
        return path if path is not None and path.is_file() else None

    def space_left(self) -> int:
        return self.space.room()

    def purge_staging(self, before: datetime) -> int:
        """Remove staging files last written before ``before`` (left by crashed writers)."""
        removed = 0
        staging = self.root / STAGING
        if not staging.is_dir():
            return 0
        cutoff = before.timestamp()
        for entry in staging.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if entry.stat().st_mtime < cutoff:
                    entry.unlink()
                    removed += 1
        if removed:
            _log.info("staging_purged", removed=removed)
        return removed


def _out_of_space(exc: BaseException) -> InsufficientStorage:
    """A full disk is the server's condition, worth a retry later (507), not a 500."""
    _log.warning("disk_full", error=str(exc))
    return InsufficientStorage(OUT_OF_SPACE)


def _wait_all(futures: Sequence[Future[None]]) -> None:
    for future in futures:
        future.result()


def _write_all(file: BinaryIO, data: bytes) -> None:
    view = memoryview(data)
    while view:  # unbuffered writes may be short
        view = view[file.write(view) :]


def _open_at(path: Path, start: int) -> BinaryIO:
    file = path.open("rb", buffering=0)
    if start:
        file.seek(start)
    return file


def _hex_children(directory: Path, length: int) -> list[Path]:
    try:
        entries = sorted(directory.iterdir())
    except FileNotFoundError:
        return []
    return [
        entry
        for entry in entries
        if len(entry.name) == length and all(c in "0123456789abcdef" for c in entry.name)
    ]


def _fsync_dir(directory: Path) -> None:
    # Makes the new directory entry durable; some platforms cannot open directories.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
