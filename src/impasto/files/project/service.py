"""Project storage (fal's ``/v1/serverless/files``): an owner's own tree of named files.

Paths are keys in the owner's space (``datasets/images/cat.jpg``); folders are implied by
the paths under them. Writing a path replaces what was there. Project files are private:
they are read through the Platform API with the owner's key, never served at ``/files``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from impasto.files.acl import PRIVATE
from impasto.files.core import FilesCore, FileView, NewFile
from impasto.files.paths import (
    DEFAULT_CONTENT_TYPE,
    clean_content_type,
    guess_content_type,
    validate_directory,
    validate_path,
)
from impasto.files.project.archives import extract_zip
from impasto.files.repository import FileRepository
from impasto.files.service import FileService
from impasto.files.streams import require_space
from impasto.kit.errors import InvalidRequest, NotFound, NotImplementedYet
from impasto.storage import Blob


class FetchedBody(Protocol):
    """What the URL fetcher hands back for one response."""

    @property
    def content_type(self) -> str | None: ...

    @property
    def content_length(self) -> int | None: ...

    @property
    def file_name(self) -> str | None: ...

    def aiter_bytes(self) -> AsyncIterator[bytes]: ...


class UrlOpener(Protocol):
    """Fetches URLs on a user's behalf, refusing private addresses (``kit/egress/fetch.py``)."""

    def open(self, url: str) -> AbstractAsyncContextManager[FetchedBody]: ...


@dataclass(frozen=True, slots=True)
class Entry:
    path: str
    name: str
    created_time: datetime
    updated_time: datetime
    is_file: bool
    size: int
    checksum_sha256: str | None


class ProjectFiles:
    def __init__(self, core: FilesCore, fetcher: UrlOpener | None = None) -> None:
        self.core = core
        self.fetcher = fetcher

    async def list_dir(self, owner: str, directory: str | None) -> list[Entry]:
        """Files and folders directly inside ``directory`` (the root when empty)."""
        folder = validate_directory(directory)
        prefix = f"{folder}/" if folder else ""
        now = self.core.clock.now()
        rows = await self.core.db(
            lambda repo: [FileView.of(r) for r in repo.files_under(owner, prefix, now)],
            write=False,
        )
        files: list[Entry] = []
        folders: dict[str, Entry] = {}
        for view in rows:
            assert view.path is not None
            rest = view.path[len(prefix) :]
            name, slash, _ = rest.partition("/")
            if not slash:
                files.append(_file_entry(view))
                continue
            seen = folders.get(name)
            folders[name] = Entry(
                path=f"{prefix}{name}",
                name=name,
                created_time=min(view.created_at, seen.created_time if seen else view.created_at),
                updated_time=max(view.updated_at, seen.updated_time if seen else view.updated_at),
                is_file=False,
                size=0,
                checksum_sha256=None,
            )
        return sorted(folders.values(), key=lambda e: e.name) + sorted(files, key=lambda e: e.name)

    async def open(self, owner: str, path: str) -> FileView:
        clean = validate_path(path, what="file")
        now = self.core.clock.now()

        def work(repo: FileRepository) -> FileView | None:
            row = repo.get_by_path(owner, clean)
            return FileView.of(row) if row is not None else None

        view = await self.core.db(work, write=False)
        if view is None or view.expired(now):
            raise NotFound(f"File {clean} not found")
        return view

    def read(self, view: FileView, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        return self.core.store.read(view.blob_key, start, end)

    async def put(
        self,
        owner: str,
        path: str,
        chunks: AsyncIterator[bytes],
        *,
        content_type: str | Callable[[], str | None] | None = None,
        expected_length: int | None = None,
        body_size: int | None = None,
    ) -> FileView:
        """Store a stream at ``path``, replacing any file there.

        ``content_type`` may be a callable, asked once the stream is done (a form part's
        type is known only after its headers were parsed). ``body_size`` bounds the
        stream from above (a form's Content-Length): more than the disk can take is
        refused before a byte is read.
        """
        clean = validate_path(path, what="target path")
        if body_size is not None:
            require_space(self.core.store, body_size)
        blob = await self.core.store_body(owner, chunks, expected_length)
        media_type = content_type() if callable(content_type) else content_type
        return await self._record(owner, clean, blob, media_type)

    async def put_archive(
        self,
        owner: str,
        target: str,
        chunks: AsyncIterator[bytes],
        *,
        body_size: int | None = None,
    ) -> list[FileView]:
        """Extract a ZIP body into the folder ``target``; the archive itself is not kept."""
        folder = validate_path(target, what="target path")
        if body_size is not None:
            require_space(self.core.store, body_size)
        archive = await self.core.store_body(owner, chunks, None)
        return await extract_zip(self.core, owner, folder, archive)

    async def put_from_url(self, owner: str, path: str, url: str, bases: Sequence[str]) -> FileView:
        """Download ``url`` into ``path``; this server's own file URLs are copied in place."""
        clean = validate_path(path, what="file")
        if not url.startswith(("http://", "https://")):
            raise InvalidRequest("url must be an http:// or https:// URL")
        own = await FileService(self.core).resolve_own(url, caller=owner, bases=bases)
        if own is not None:  # same bytes, so the new record shares the blob
            blob = Blob(key=own.blob_key, size=own.size)
            return await self._record(owner, clean, blob, own.content_type)
        if self.fetcher is None:
            raise NotImplementedYet("Fetching URLs is not available on this server")
        async with self.fetcher.open(url) as body:
            blob = await self.core.store_body(owner, body.aiter_bytes(), body.content_length)
            content_type = body.content_type
        return await self._record(owner, clean, blob, content_type)

    async def _record(
        self, owner: str, path: str, blob: Blob, content_type: str | None
    ) -> FileView:
        try:
            media_type = clean_content_type(content_type)
        except InvalidRequest:  # a remote server's odd header is no reason to fail
            media_type = DEFAULT_CONTENT_TYPE
        if media_type == DEFAULT_CONTENT_TYPE:
            media_type = guess_content_type(path)
        new = NewFile(
            owner=owner,
            file_name=path.rsplit("/", 1)[-1],
            content_type=media_type,
            acl=PRIVATE,
            expiration_seconds=None,
            path=path,
        )
        return await self.core.record(new, blob)


def _file_entry(view: FileView) -> Entry:
    assert view.path is not None
    return Entry(
        path=view.path,
        name=view.file_name,
        created_time=view.created_at,
        updated_time=view.updated_at,
        is_file=True,
        size=view.size,
        checksum_sha256=view.blob_key,
    )
