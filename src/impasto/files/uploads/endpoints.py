"""fal's storage REST API (``rest.fal.ai``): storage tokens and two-step upload initiation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query

from impasto.deps import BaseUrl
from impasto.files.acl import parse_lifecycle
from impasto.files.deps import Files
from impasto.files.schemas import InitiateRequest, InitiateResponse, StorageTokenResponse
from impasto.files.uploads.deps import Uploads
from impasto.files.uploads.service import MULTIPART, SINGLE, UploadService
from impasto.keys.auth import ApiPrincipal
from impasto.kit.errors import InvalidRequest
from impasto.kit.http.bodies import BoundedRoute

router = APIRouter(
    route_class=BoundedRoute, prefix="/rest/storage", tags=["Storage"], include_in_schema=False
)

# fal-cdn-v3 is what current clients ask for; gcs is fal-client's legacy fallback and
# lands in the same store here.
STORAGE_TYPES = {"fal-cdn-v3", "fal-cdn", "gcs"}
StorageType = Annotated[str | None, Query(max_length=32)]
LifecycleHeader = Annotated[str | None, Header(alias="X-Fal-Object-Lifecycle")]
PreferenceHeader = Annotated[str | None, Header(alias="X-Fal-Object-Lifecycle-Preference")]


def _check_type(storage_type: str | None) -> None:
    if storage_type is not None and storage_type not in STORAGE_TYPES:
        raise InvalidRequest("Invalid storage type")


@router.post("/auth/token")
def storage_token(
    principal: ApiPrincipal,
    files: Files,
    base: BaseUrl,
    storage_type: StorageType = None,
) -> StorageTokenResponse:
    """A short-lived token for the CDN upload endpoints, scoped to the caller's owner."""
    _check_type(storage_type)
    token = files.issue_token(principal.owner, principal.key_id)
    return StorageTokenResponse(
        token=token.token,
        base_url=base,
        expires_at=token.expires_at,
        created_at=token.created_at,
    )


@router.post("/upload/initiate")
async def initiate(
    body: InitiateRequest,
    principal: ApiPrincipal,
    uploads: Uploads,
    base: BaseUrl,
    storage_type: StorageType = None,
    lifecycle: LifecycleHeader = None,
    preference: PreferenceHeader = None,
) -> InitiateResponse:
    """Reserve a file; its bytes go to ``upload_url`` with a plain PUT (no credentials)."""
    return await _initiate(
        uploads, base, body, principal.owner, SINGLE, storage_type, preference or lifecycle
    )


@router.post("/upload/initiate-multipart")
async def initiate_multipart(
    body: InitiateRequest,
    principal: ApiPrincipal,
    uploads: Uploads,
    base: BaseUrl,
    storage_type: StorageType = None,
    lifecycle: LifecycleHeader = None,
    preference: PreferenceHeader = None,
) -> InitiateResponse:
    """Reserve a file sent in parts: ``PUT {upload_url}/{n}``, then ``POST .../complete``."""
    return await _initiate(
        uploads, base, body, principal.owner, MULTIPART, storage_type, preference or lifecycle
    )


async def _initiate(
    uploads: UploadService,
    base: str,
    body: InitiateRequest,
    owner: str,
    kind: str,
    storage_type: str | None,
    lifecycle: str | None,
) -> InitiateResponse:
    _check_type(storage_type)
    pending = await uploads.initiate(
        owner,
        kind=kind,
        file_name=body.file_name,
        content_type=body.content_type,
        lifecycle=parse_lifecycle(lifecycle),
    )
    return InitiateResponse(
        upload_url=uploads.upload_url(base, pending), file_url=uploads.file_url(base, pending)
    )
