"""fal's Platform storage operations: file ACLs, signed URLs and owner storage settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from impasto.deps import BaseUrl
from impasto.files.deps import Files
from impasto.files.schemas import (
    AclBody,
    SignedUrl,
    SignRequest,
    StorageSettingsBody,
    StorageSettingsResponse,
)
from impasto.files.urls import FILE_URL_PATTERN
from impasto.keys.auth import ApiPrincipal
from impasto.kit.http.bodies import BoundedRoute
from impasto.kit.http.openapi import ERROR_RESPONSES

router = APIRouter(
    route_class=BoundedRoute, prefix="/v1/storage", tags=["Storage"], responses=ERROR_RESPONSES
)

FileUrlQuery = Annotated[
    str,
    Query(
        min_length=1,
        max_length=4096,
        pattern=FILE_URL_PATTERN,
        description="Full URL of the file, as returned by the upload APIs. "
        "Must not contain query parameters.",
    ),
]


@router.get("/files/acl", operation_id="getStorageFileAcl", summary="Get file ACL")
async def get_acl(url: FileUrlQuery, principal: ApiPrincipal, files: Files) -> AclBody:
    """The ACL of one of the caller's files."""
    return AclBody.of(await files.get_acl(principal.owner, url))


@router.put("/files/acl", operation_id="setStorageFileAcl", summary="Set file ACL")
async def put_acl(
    url: FileUrlQuery, body: AclBody, principal: ApiPrincipal, files: Files
) -> AclBody:
    """Replace the ACL; rules naming owners that do not exist are dropped."""
    applied = await files.put_acl(principal.owner, url, body.to_acl())
    return AclBody.of(applied)


@router.post("/files/sign", operation_id="signStorageFileUrl", summary="Sign file URL")
async def sign(
    url: FileUrlQuery,
    body: SignRequest,
    principal: ApiPrincipal,
    files: Files,
    base: BaseUrl,
) -> SignedUrl:
    """A URL that reads the file, whatever its ACL, until it expires (at most 7 days)."""
    signed = await files.sign(principal.owner, url, body.expiration_seconds, base)
    return SignedUrl(signed_url=signed)


@router.get("/settings", operation_id="getStorageSettings", summary="Get storage settings")
async def get_settings(principal: ApiPrincipal, files: Files) -> StorageSettingsResponse:
    """Defaults applied to the caller's new uploads: expiry and initial ACL."""
    expiration, acl = await files.get_settings(principal.owner)
    return StorageSettingsResponse(
        expiration_duration_seconds=expiration,
        initial_acl=AclBody.of(acl) if acl is not None else None,
    )


@router.put("/settings", operation_id="updateStorageSettings", summary="Update storage settings")
async def put_settings(
    body: StorageSettingsBody, principal: ApiPrincipal, files: Files
) -> StorageSettingsResponse:
    """Replace the defaults; omitted or null fields reset to the system default."""
    acl = body.initial_acl.to_acl() if body.initial_acl is not None else None
    expiration, applied = await files.put_settings(
        principal.owner, body.expiration_duration_seconds, acl
    )
    return StorageSettingsResponse(
        expiration_duration_seconds=expiration,
        initial_acl=AclBody.of(applied) if applied is not None else None,
    )
