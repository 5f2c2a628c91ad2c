"""fal's model operations: ``GET /v1/models``, pricing and estimates, plus favorites."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, Path, Query, Request, Response, status
from pydantic import BeforeValidator
from pydantic_core import to_json
from starlette.concurrency import run_in_threadpool

import impasto.catalog.routing  # noqa: F401  - registers {name:endpoint}
from impasto.catalog.deps import CatalogReads, CatalogReadsDep, ReadCatalog, WriteCatalog
from impasto.catalog.openapi_doc import queue_openapi
from impasto.catalog.schemas import (
    CallQuantity,
    EstimateRequest,
    EstimateResponse,
    ModelList,
    Price,
    PriceList,
    card_item,
)
from impasto.catalog.service import ModelQuery
from impasto.keys.auth import AdminPrincipal, ApiPrincipal, authenticate
from impasto.kit.comma_lists import split_comma_lists
from impasto.kit.http.bodies import BoundedRoute
from impasto.kit.http.openapi import ERROR_RESPONSES
from impasto.models import KeyScope

router = APIRouter(
    route_class=BoundedRoute, prefix="/v1/models", tags=["Models"], responses=ERROR_RESPONSES
)

MAX_LIMIT = 100
DEFAULT_LIMIT = 50
Expansion = Literal["openapi-3.0", "enterprise_status"]


@router.get(
    "",
    operation_id="getModels",
    summary="Model search",
    response_model=ModelList,
    response_model_exclude_unset=True,
    # A key is optional: anonymous callers see public entries, a key adds the owner's own.
    openapi_extra={"security": [{"apiKey": []}, {}]},
)
async def get_models(
    request: Request,
    reads: CatalogReadsDep,
    limit: Annotated[
        int | None, Query(ge=1, le=MAX_LIMIT, description="Maximum number of items to return")
    ] = None,
    cursor: Annotated[str | None, Query(description="Cursor from a previous response")] = None,
    endpoint_id: Annotated[
        list[str] | None,
        Query(description="Endpoint id(s) to retrieve, 1-50, repeated or comma-separated"),
    ] = None,
    q: Annotated[
        str | None,
        Query(max_length=256, description="Free text over name, id, description, category, tags"),
    ] = None,
    category: Annotated[
        str | None, Query(max_length=100, description="Filter by category, e.g. text-to-image")
    ] = None,
    status_: Annotated[
        Literal["active", "deprecated"] | None,
        Query(alias="status", description="Filter by status; omit for all"),
    ] = None,
    expand: Annotated[
        list[Expansion] | None,
        BeforeValidator(split_comma_lists),
        Query(description="openapi-3.0 and/or enterprise_status"),
    ] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """Three modes: list (no parameters), find (`endpoint_id`) and search (`q`, `category`,
    `status`). A key is optional; with one, the caller's own private models are included and
    `is_favorited` is filled in. Unlisted models are returned only when asked for by id."""
    query = ModelQuery(
        viewer=None,
        endpoint_ids=endpoint_id,
        q=q,
        category=category,
        status=status_,
        limit=limit or DEFAULT_LIMIT,
        cursor=cursor,
    )
    # The busiest read of the API: key check, transaction, search and serialisation run in
    # one worker thread rather than one hop per dependency (catalog-search.md), and the
    # body is serialised once, from plain data (bench/README.md).
    body = await run_in_threadpool(
        _model_list, request, reads, authorization, query, set(expand or [])
    )
    return Response(body, media_type="application/json")


def _model_list(
    request: Request,
    reads: CatalogReads,
    authorization: str | None,
    query: ModelQuery,
    expansions: set[str],
) -> bytes:
    viewer = authenticate(request, authorization, KeyScope.API) if authorization else None
    base_url = str(request.base_url)
    openapi: dict[str, dict[str, Any]] = {}
    # Read-only, so the transaction ending here, before the response, is all ReadSession does.
    with reads.open() as service:
        viewed = replace(query, viewer=viewer.owner if viewer else None)
        page = service.find_models(viewed, reads.cursors)
        if "openapi-3.0" in expansions and page.models:
            entries = service.entries([card.endpoint_id for card in page.models])
            openapi = {entry.endpoint_id: queue_openapi(entry, base_url) for entry in entries}
    root = base_url.rstrip("/")
    models = [
        card_item(card, root, expansions, openapi.get(card.endpoint_id)) for card in page.models
    ]
    return to_json(
        {
            "models": models,
            "next_cursor": page.next_cursor,
            "has_more": page.next_cursor is not None,
        }
    )


@router.get("/pricing", operation_id="getPricing", summary="Get pricing", tags=["Pricing"])
def get_pricing(
    principal: ApiPrincipal,
    catalog: ReadCatalog,
    endpoint_id: Annotated[
        list[str],
        Query(description="Endpoint id(s), 1-50, repeated or comma-separated"),
    ],
) -> PriceList:
    """Unit prices the operator set. Endpoints without one are listed in
    `unpriced_endpoint_ids`, never given an invented price."""
    prices = catalog.prices(principal.owner, endpoint_id)
    return PriceList(
        next_cursor=None,
        has_more=False,
        prices=[
            Price(
                endpoint_id=entry.endpoint_id,
                unit_price=entry.price_unit_price or 0.0,
                unit=entry.price_unit or "",
                currency=entry.price_currency or "USD",
            )
            for entry in prices.priced
        ],
        unpriced_endpoint_ids=prices.unpriced,
    )


@router.post(
    "/pricing/estimate",
    operation_id="estimatePricing",
    summary="Estimate cost",
    tags=["Pricing"],
)
def estimate_pricing(
    principal: ApiPrincipal,
    catalog: ReadCatalog,
    body: Annotated[EstimateRequest, Body()],
) -> EstimateResponse:
    """Quantity times unit price, summed. A call counts as one billing unit (there is no
    usage history to refine it); an endpoint without a price is a 400, not a guess."""
    quantities: dict[str, float] = {}
    for endpoint, quantity in body.endpoints.items():
        if isinstance(quantity, CallQuantity):
            quantities[endpoint] = float(quantity.call_quantity)
        else:
            quantities[endpoint] = quantity.unit_quantity
    estimate = catalog.estimate(principal.owner, body.estimate_type, quantities)
    return EstimateResponse(
        estimate_type=body.estimate_type,
        total_cost=estimate.total_cost,
        currency=estimate.currency,
    )


EndpointIdPath = Annotated[str, Path(min_length=1, max_length=255, description="Endpoint id")]


@router.put(
    "/favorites/{endpoint_id:endpoint}",
    operation_id="favoriteModel",
    summary="Favorite a model",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
def favorite(
    endpoint_id: EndpointIdPath,
    principal: ApiPrincipal,
    catalog: WriteCatalog,
) -> Response:
    """Mark a model as a favorite of the caller's owner (`is_favorited` in model search)."""
    catalog.favorite(principal.owner, endpoint_id, True)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/favorites/{endpoint_id:endpoint}",
    operation_id="unfavoriteModel",
    summary="Unfavorite a model",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
def unfavorite(
    endpoint_id: EndpointIdPath,
    principal: ApiPrincipal,
    catalog: WriteCatalog,
) -> Response:
    catalog.favorite(principal.owner, endpoint_id, False)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/blacklist/{endpoint_id:endpoint}",
    operation_id="blacklistModel",
    summary="Hide a model from the owner's Scenario listings",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
def blacklist(
    endpoint_id: EndpointIdPath,
    principal: AdminPrincipal,
    catalog: WriteCatalog,
) -> Response:
    """Per owner: Scenario listings leave the model out unless asked for `blacklisted=true`."""
    catalog.blacklist(principal.owner, endpoint_id, True)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/blacklist/{endpoint_id:endpoint}",
    operation_id="unblacklistModel",
    summary="Show a blacklisted model again",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
def unblacklist(
    endpoint_id: EndpointIdPath,
    principal: AdminPrincipal,
    catalog: WriteCatalog,
) -> Response:
    catalog.blacklist(principal.owner, endpoint_id, False)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
