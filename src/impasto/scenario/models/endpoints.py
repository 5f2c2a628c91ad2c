"""``/scenario/v1/models``: Scenario's listing, single get and get-bulk over the catalog.

Authenticated with ``Authorization: Key id:secret`` or HTTP Basic ``id:secret``; errors are
Scenario's ``{"apiError", "message"}`` (``kit/http/errors.py``). Kept out of the Platform
API's OpenAPI document: this is another vendor's contract, described in the README.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request

import impasto.catalog.routing  # noqa: F401  - registers {name:endpoint}
from impasto.catalog.deps import ReadCatalog
from impasto.deps import CursorsDep
from impasto.keys.auth import authenticate
from impasto.keys.service import Principal
from impasto.kit.errors import PermissionDenied
from impasto.kit.http.bodies import BoundedRoute
from impasto.models import KeyScope
from impasto.scenario.models.params import RawListParams, browse_query
from impasto.scenario.models.schemas import (
    GetBulkRequest,
    ModelListResponse,
    ModelResponse,
    minimal,
    scenario_model,
)
from impasto.scenario.params import parse_bool

router = APIRouter(route_class=BoundedRoute, prefix="/scenario/v1/models", include_in_schema=False)


def _principal(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Principal:
    return authenticate(request, authorization, KeyScope.API)


Caller = Annotated[Principal, Depends(_principal)]
Text = Annotated[str | None, Query(max_length=2048)]


@router.get("")
def list_models(
    caller: Caller,
    catalog: ReadCatalog,
    cursors: CursorsDep,
    privacy: Text = None,
    sortBy: Text = None,
    sortDirection: Text = None,
    createdAfter: Text = None,
    createdBefore: Text = None,
    updatedAfter: Text = None,
    updatedBefore: Text = None,
    collectionIds: Text = None,
    collectionId: Text = None,
    tags: Text = None,
    type: Text = None,
    types: Text = None,
    status: Text = None,
    onGPU: Text = None,
    blacklisted: Text = None,
    pageSize: Text = None,
    paginationToken: Text = None,
    originalAssets: Text = None,
) -> ModelListResponse:
    if parse_bool("blacklisted", blacklisted) and caller.scope is not KeyScope.ADMIN:
        # Scenario: the team's blacklist is for its admins.
        raise PermissionDenied("blacklisted=true needs an ADMIN key")
    query = browse_query(
        RawListParams(
            privacy=privacy,
            sort_by=sortBy,
            sort_direction=sortDirection,
            created_after=createdAfter,
            created_before=createdBefore,
            updated_after=updatedAfter,
            updated_before=updatedBefore,
            collection_ids=collectionIds,
            collection_id=collectionId,
            tags=tags,
            type=type,
            types=types,
            status=status,
            on_gpu=onGPU,
            blacklisted=blacklisted,
            page_size=pageSize,
            pagination_token=paginationToken,
        ),
        caller.owner,
    )
    page = catalog.browse(query, cursors)
    entries = [hit.entry for hit in page.models]
    hidden = catalog.blacklisted_of(caller.owner, entries)
    return ModelListResponse(
        models=[scenario_model(entry, blacklisted=entry.id in hidden) for entry in entries],
        nextPaginationToken=page.next_cursor,
    )


@router.post("/get-bulk")
def get_bulk(body: GetBulkRequest, caller: Caller, catalog: ReadCatalog) -> dict[str, Any]:
    entries = catalog.visible(caller.owner, body.modelIds)
    hidden = catalog.blacklisted_of(caller.owner, entries)
    models = [scenario_model(entry, blacklisted=entry.id in hidden) for entry in entries]
    if body.minimal:
        return {"models": [minimal(model) for model in models]}
    return {"models": [model.model_dump() for model in models]}


@router.get("/{modelId:endpoint}")
def get_model(
    modelId: Annotated[str, Path(max_length=255)],
    caller: Caller,
    catalog: ReadCatalog,
) -> ModelResponse:
    entry = catalog.get_visible(caller.owner, modelId)
    hidden = catalog.blacklisted_of(caller.owner, [entry])
    return ModelResponse(model=scenario_model(entry, blacklisted=entry.id in hidden))
