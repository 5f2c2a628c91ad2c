"""fal's Platform files operations (``/v1/serverless/files``): the owner's project storage."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from impasto.deps import OwnBases
from impasto.files.cdn.responses import body_chunks, content_length, file_response
from impasto.files.deps import Files
from impasto.files.paths import PATH_PATTERN
from impasto.files.project.deps import Project
from impasto.files.project.service import Entry
from impasto.files.schemas import FileSpec, UrlUpload
from impasto.files.uploads.form import FormFile, file_field
from impasto.keys.auth import ApiPrincipal
from impasto.kit.http.bodies import BoundedRoute
from impasto.kit.http.openapi import ERROR_RESPONSES

router = APIRouter(
    route_class=BoundedRoute,
    prefix="/v1/serverless/files",
    tags=["Serverless", "Files"],
    responses=ERROR_RESPONSES,
)

# The pattern is documented, not enforced here (pydantic's regex engine has no surrogates);
# validate_path applies the same rules.
_PATH_SCHEMA = {"pattern": PATH_PATTERN}
FilePath = Annotated[
    str,
    Path(
        description="File path (including filename)",
        max_length=1024,
        json_schema_extra=_PATH_SCHEMA,
    ),
]


def _specs(entries: list[Entry]) -> list[FileSpec]:
    return [
        FileSpec(
            path=e.path,
            name=e.name,
            created_time=e.created_time,
            updated_time=e.updated_time,
            is_file=e.is_file,
            size=e.size,
            checksum_sha256=e.checksum_sha256,
        )
        for e in entries
    ]


@router.get(
    "/list",
    operation_id="serverlessListRoot",
    summary="List root files",
    response_model_exclude_none=True,
)
async def list_root(principal: ApiPrincipal, project: Project) -> list[FileSpec]:
    """Files and folders at the root of the caller's project storage."""
    return _specs(await project.list_dir(principal.owner, None))


@router.get(
    "/list/{dir:path}",
    operation_id="serverlessListDirectory",
    summary="List directory",
    response_model_exclude_none=True,
)
async def list_directory(
    dir: Annotated[
        str,
        Path(description="Directory path to list", max_length=1024, json_schema_extra=_PATH_SCHEMA),
    ],
    principal: ApiPrincipal,
    project: Project,
) -> list[FileSpec]:
    """Files and folders directly inside ``dir``; an unknown directory is empty."""
    return _specs(await project.list_dir(principal.owner, dir))


@router.get(
    "/file/{file:path}",
    operation_id="serverlessDownloadFile",
    summary="Download file",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "File stream"}},
)
async def download(
    request: Request, file: FilePath, principal: ApiPrincipal, project: Project, files: Files
) -> Response:
    """The file's bytes; ``Range`` and conditional requests work as on ``/files``."""
    view = await project.open(principal.owner, file)
    return file_response(request, files, view, "private, no-cache")


@router.post(
    "/file/url/{file:path}", operation_id="serverlessUploadFromUrl", summary="Upload file from URL"
)
async def upload_from_url(
    file: FilePath,
    body: UrlUpload,
    principal: ApiPrincipal,
    project: Project,
    bases: OwnBases,
) -> bool:
    """Create ``file`` from a URL (http/https; private addresses refused)."""
    await project.put_from_url(principal.owner, file, body.url, bases)
    return True


@router.post(
    "/file/local/{target_path:path}",
    operation_id="serverlessUploadLocalFile",
    summary="Upload local file (multipart/form-data)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file_upload": {
                                "type": "string",
                                "format": "binary",
                                "description": "Binary file content",
                            }
                        },
                        "required": ["file_upload"],
                    }
                }
            },
        }
    },
)
async def upload_local(
    request: Request,
    target_path: Annotated[
        str,
        Path(
            description="Target path (including filename)",
            max_length=1024,
            json_schema_extra=_PATH_SCHEMA,
        ),
    ],
    principal: ApiPrincipal,
    project: Project,
    unzip: Annotated[bool | None, Query(description="Extract a ZIP upload")] = False,
) -> bool:
    """Store the ``file_upload`` field at ``target_path``, streamed as it arrives.

    With ``unzip=true`` the upload must be a ZIP, extracted into the folder ``target_path``.
    """
    form = FormFile(name="file_upload")
    chunks = file_field(body_chunks(request), request.headers.get("content-type"), form)
    size = content_length(request)  # the form's, an upper bound of the file's
    if unzip:
        await project.put_archive(principal.owner, target_path, chunks, body_size=size)
        return True
    await project.put(
        principal.owner,
        target_path,
        chunks,
        content_type=lambda: form.content_type,
        body_size=size,
    )
    return True
