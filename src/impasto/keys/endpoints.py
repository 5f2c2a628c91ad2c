from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response, status

from impasto.deps import CursorsDep
from impasto.keys.auth import AdminPrincipal
from impasto.keys.deps import ReadKeys, WriteKeys
from impasto.keys.schemas import CreatedKey, CreateKeyRequest, KeyInfo, KeyList
from impasto.kit.comma_lists import split_commas
from impasto.kit.http.bodies import BoundedRoute
from impasto.kit.http.openapi import ERROR_RESPONSES
from impasto.models import KeyScope

router = APIRouter(
    route_class=BoundedRoute, prefix="/v1/keys", tags=["Keys"], responses=ERROR_RESPONSES
)

MAX_PAGE = 100


@router.get(
    "",
    operation_id="listApiKeys",
    summary="List API Keys",
    response_model_exclude_unset=True,
)
def list_keys(
    principal: AdminPrincipal,
    service: ReadKeys,
    cursors: CursorsDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Maximum keys to return")] = 50,
    cursor: Annotated[str | None, Query(description="Cursor from a previous page")] = None,
    expand: Annotated[list[str] | None, Query(description="creator_info")] = None,
) -> KeyList:
    """API-scope keys of the caller's owner; ADMIN keys are managed with `impasto keys`."""
    expansions = set(split_commas(expand or []))
    page = service.list(
        owner=principal.owner, scope=KeyScope.API, limit=limit, cursor=cursor, cursors=cursors
    )
    creator = "creator_info" in expansions
    keys = [
        KeyInfo(
            key_id=key.key_id,
            alias=key.alias,
            scope="API",
            created_at=key.created_at,
            # Left unset, not None, so the field is omitted unless expanded.
            **({"creator_nickname": key.created_by} if creator else {}),
        )
        for key in page.keys
    ]
    return KeyList(keys=keys, next_cursor=page.next_cursor, has_more=page.next_cursor is not None)


@router.post(
    "",
    operation_id="createApiKey",
    summary="Create API Key",
    status_code=status.HTTP_201_CREATED,
)
def create_key(
    body: CreateKeyRequest,
    principal: AdminPrincipal,
    service: WriteKeys,
) -> CreatedKey:
    """Create an API-scope key for the caller's owner. The secret is returned only here."""
    _, credential = service.create(
        owner=principal.owner,
        scope=KeyScope.API,
        alias=body.alias,
        created_by=principal.owner,
    )
    return CreatedKey(key_id=credential.key_id, key_secret=credential.secret, key=str(credential))


@router.delete(
    "/{key_id}",
    operation_id="deleteApiKey",
    summary="Delete API Key",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
def delete_key(
    key_id: Annotated[str, Path(min_length=1, max_length=36)],
    principal: AdminPrincipal,
    service: WriteKeys,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Accepted for fal compatibility; deleting is idempotent by itself",
        ),
    ] = None,
) -> Response:
    """Revoke an API-scope key of the caller's owner; 204 also when it is already revoked.
    404 for any other id (another owner's key or none at all: not told apart)."""
    service.revoke_api_key(key_id, owner=principal.owner)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
