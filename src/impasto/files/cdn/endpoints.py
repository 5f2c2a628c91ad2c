"""fal's CDN surface: ``/files/upload`` (+ multipart) and serving ``/files/b/{id}/{name}``.

These paths speak the run surface's error format. Bodies are streamed into the store as
they arrive; nothing is buffered whole.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response

from impasto.deps import BaseUrl
from impasto.files.acl import parse_lifecycle
from impasto.files.cdn.responses import (
    body_chunks,
    cache_control,
    content_length,
    file_response,
)
from impasto.files.core import FileView
from impasto.files.deps import Files, OptionalStorageCaller, RequiredStorageCaller
from impasto.files.schemas import (
    CompleteRequest,
    MultipartStarted,
    PartUploaded,
    UploadedFile,
)
from impasto.files.uploads.deps import Uploads
from impasto.files.uploads.service import MULTIPART, UploadCaller
from impasto.files.urls import file_url
from impasto.kit.http.bodies import BoundedRoute

router = APIRouter(route_class=BoundedRoute, tags=["Files"], include_in_schema=False)

FileId = Annotated[str, Path(min_length=1, max_length=36, pattern=r"^[0-9A-Za-z-]+$")]
FileName = Annotated[str, Path(min_length=1, max_length=255)]
UploadId = Annotated[str, Path(min_length=1, max_length=36, pattern=r"^[0-9A-Za-z-]+$")]
LifecycleHeader = Annotated[str | None, Header(alias="X-Fal-Object-Lifecycle")]
PreferenceHeader = Annotated[str | None, Header(alias="X-Fal-Object-Lifecycle-Preference")]
FileNameHeader = Annotated[str | None, Header(alias="X-Fal-File-Name", max_length=1024)]
Expires = Annotated[int | None, Query(ge=0, le=1 << 40)]
Signature = Annotated[str | None, Query(max_length=128)]


def _header_text(value: str | None) -> str | None:
    """Header values arrive as latin-1; clients that send UTF-8 names mean UTF-8."""
    if value is None:
        return None
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def _caller(
    caller: OptionalStorageCaller, expires: int | None, signature: str | None
) -> UploadCaller:
    if caller is not None:
        return UploadCaller(owner=caller.owner)
    return UploadCaller(expires=expires, signature=signature)


@router.post("/files/upload")
@router.post("/cdn/files/upload")
async def upload(
    request: Request,
    caller: RequiredStorageCaller,
    files: Files,
    base: BaseUrl,
    file_name: FileNameHeader = None,
    lifecycle: LifecycleHeader = None,
    preference: PreferenceHeader = None,
) -> UploadedFile:
    """The body is the file; ``X-Fal-File-Name`` names it, ``Content-Type`` types it."""
    view = await files.upload(
        caller.owner,
        body_chunks(request),
        content_type=request.headers.get("content-type"),
        file_name=_header_text(file_name),
        lifecycle=parse_lifecycle(lifecycle or preference),
        expected_length=content_length(request),
    )
    return _uploaded(base, view)


@router.post("/files/upload/multipart")
async def start_multipart(
    request: Request,
    caller: RequiredStorageCaller,
    uploads: Uploads,
    base: BaseUrl,
    file_name: FileNameHeader = None,
    lifecycle: LifecycleHeader = None,
    preference: PreferenceHeader = None,
) -> MultipartStarted:
    pending = await uploads.initiate(
        caller.owner,
        kind=MULTIPART,
        file_name=_header_text(file_name),
        content_type=request.headers.get("content-type"),
        lifecycle=parse_lifecycle(lifecycle or preference),
    )
    return MultipartStarted(access_url=uploads.file_url(base, pending), uploadId=pending.upload_id)


@router.put("/files/b/{file_id}/{name}/multipart/{upload_id}/{part_number}")
async def upload_part(
    request: Request,
    file_id: FileId,
    name: FileName,
    upload_id: UploadId,
    part_number: Annotated[int, Path(ge=1, le=10_000)],
    caller: OptionalStorageCaller,
    uploads: Uploads,
    expires: Expires = None,
    signature: Signature = None,
) -> Response:
    """One part; the ETag header (fal-client) and JSON body (JS client) carry its tag."""
    etag = await uploads.put_part(
        upload_id,
        file_id,
        name,
        part_number,
        _caller(caller, expires, signature),
        body_chunks(request),
        content_length(request),
    )
    body = PartUploaded(partNumber=part_number, etag=f'"{etag}"')
    return Response(
        content=body.model_dump_json(),
        media_type="application/json",
        headers={"ETag": f'"{etag}"'},
    )


@router.post("/files/b/{file_id}/{name}/multipart/{upload_id}/complete")
async def complete_multipart(
    request: Request,
    file_id: FileId,
    name: FileName,
    upload_id: UploadId,
    body: CompleteRequest,
    caller: OptionalStorageCaller,
    uploads: Uploads,
    base: BaseUrl,
    expires: Expires = None,
    signature: Signature = None,
) -> UploadedFile:
    view = await uploads.complete(
        upload_id,
        file_id,
        name,
        _caller(caller, expires, signature),
        [(part.partNumber, part.etag) for part in body.parts],
    )
    return _uploaded(base, view)


@router.put("/files/b/{file_id}/{name}")
async def signed_put(
    request: Request,
    file_id: FileId,
    name: FileName,
    caller: OptionalStorageCaller,
    uploads: Uploads,
    base: BaseUrl,
    upload_id: Annotated[str, Query(min_length=1, max_length=36)],
    expires: Expires = None,
    signature: Signature = None,
) -> UploadedFile:
    """The ``upload_url`` of ``/rest/storage/upload/initiate``: the body is the file."""
    view = await uploads.put_single(
        upload_id,
        file_id,
        name,
        _caller(caller, expires, signature),
        body_chunks(request),
        content_length(request),
    )
    return _uploaded(base, view)


@router.api_route("/files/b/{file_id}/{name}", methods=["GET", "HEAD"])
async def serve_file(
    request: Request,
    file_id: FileId,
    name: FileName,
    caller: OptionalStorageCaller,
    files: Files,
    expires: Expires = None,
    signature: Signature = None,
) -> Response:
    """Public files to anyone; others to their owner, ACL rules or a signed URL."""
    grant = await files.open(
        file_id,
        name,
        caller=caller.owner if caller is not None else None,
        expires=expires,
        signature=signature,
    )
    return file_response(request, files, grant.file, cache_control(grant))


def _uploaded(base: str, view: FileView) -> UploadedFile:
    """fal's upload answer: where the stored file can be read from now on."""
    url = file_url(base, view.file_id, view.file_name)
    return UploadedFile(
        access_url=url,
        file_name=view.file_name,
        content_type=view.content_type,
        file_size=view.size,
    )
