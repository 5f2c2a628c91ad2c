"""HTTP plumbing the files endpoints share: request bodies in, file responses out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import StreamingResponse
from starlette.requests import ClientDisconnect

from impasto.files.cdn.ranges import (
    etag_for,
    http_date,
    not_modified,
    parse_range,
    range_applies,
)
from impasto.files.core import FileView
from impasto.files.service import Access, FileService, ReadGrant
from impasto.files.streams import BodyCutOff
from impasto.kit.errors import InvalidRequest

# User files are served from the API's origin: never let a browser run them as a page of it.
SAFE_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"}


def content_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    if not raw.isdigit():
        raise InvalidRequest("Content-Length must be a non-negative integer")
    return int(raw)


async def body_chunks(request: Request) -> AsyncIterator[bytes]:
    """The request body as it arrives; a dropped connection becomes a 400, not a 500."""
    try:
        async for chunk in request.stream():
            yield chunk
    except ClientDisconnect:
        raise BodyCutOff("The upload was cut off before the body was complete") from None


def cache_control(grant: ReadGrant) -> str:
    if grant.access == Access.PUBLIC:
        return f"public, max-age={grant.max_age}, immutable"
    if grant.access == Access.SIGNED:
        return f"private, max-age={grant.max_age}"
    return "private, no-cache"


def file_response(request: Request, service: FileService, view: FileView, cache: str) -> Response:
    """200/206/304 for GET and HEAD, with ETag (the sha256), ranges and validators."""
    etag = etag_for(view.blob_key)
    headers = {
        # As stored, byte for byte: Starlette would append a charset to text/* types.
        "Content-Type": view.content_type,
        "ETag": etag,
        "Last-Modified": http_date(view.created_at),
        "Accept-Ranges": "bytes",
        "Cache-Control": cache,
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(view.file_name, safe='')}",
        **SAFE_HEADERS,
    }
    if not_modified(
        etag=etag,
        last_modified=view.created_at,
        if_none_match=request.headers.get("if-none-match"),
        if_modified_since=request.headers.get("if-modified-since"),
    ):
        del headers["Content-Type"]
        return Response(status_code=304, headers=headers)
    status, start, end = 200, 0, view.size
    if range_applies(request.headers.get("if-range"), etag):
        wanted = parse_range(request.headers.get("range"), view.size)
        if wanted is not None:
            status, start, end = 206, wanted.start, wanted.end
            headers["Content-Range"] = wanted.content_range(view.size)
    headers["Content-Length"] = str(end - start)
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers)
    return StreamingResponse(service.read(view, start, end), status_code=status, headers=headers)
