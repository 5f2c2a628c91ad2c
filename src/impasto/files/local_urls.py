"""This server's own file URLs, opened from the store instead of over HTTP.

Plugged into the ``UrlFetcher`` (its ``local`` hook), so upload-from-URL and model inputs
given as ``{base}/files/b/{id}/{name}`` never loop back through the network (where the
SSRF rules would refuse loopback anyway). The reader is whoever the fetch is for (a model
input is read as the request's owner, so owners use their private files); without one,
public files and valid signed URLs open, anything else answers as an anonymous GET would
(403/404). The file's ACL decides either way (``FileService.open``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from impasto.files.core import FilesCore
from impasto.files.service import FileService
from impasto.files.urls import FileUrl, parse_file_url, same_origin
from impasto.kit.egress.fetch import FetchedBody


class LocalFileOpener:
    def __init__(self, core: FilesCore, origins: Sequence[str]) -> None:
        self._core = core
        self._origins = list(origins)

    def open_local(
        self, url: str, *, reader: str | None = None, origins: Sequence[str] = ()
    ) -> AbstractAsyncContextManager[FetchedBody] | None:
        parsed = parse_file_url(url)
        known = [*self._origins, *origins]
        if parsed is None or not any(same_origin(parsed.origin, o) for o in known):
            return None
        return self._open(url, parsed, reader)

    @asynccontextmanager
    async def _open(
        self, url: str, parsed: FileUrl, reader: str | None
    ) -> AsyncIterator[FetchedBody]:
        service = FileService(self._core)
        grant = await service.open(
            parsed.file_id,
            parsed.name,
            caller=reader,
            expires=parsed.expires,
            signature=parsed.signature,
        )
        view = grant.file
        yield FetchedBody(
            url=url,
            content_type=view.content_type,
            content_length=view.size,
            file_name=view.file_name,
            chunks=service.read(view),
            max_bytes=view.size,
        )
