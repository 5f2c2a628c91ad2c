"""``/scenario/v1/assets`` and ``/scenario/v1/search/assets`` over the asset library.

Same auth and error format as the models façade (``scenario/models/endpoints.py``); every answer
holds the caller's own assets only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from impasto.assets.deps import ReadAssets, check_storable
from impasto.assets.views import asset_views
from impasto.deps import BaseUrl, CursorsDep, ReadSession
from impasto.kit.http.bodies import BoundedRoute
from impasto.scenario.assets.deps import AssetSearch
from impasto.scenario.assets.listing import RawAssetParams, asset_query, list_assets
from impasto.scenario.assets.schemas import (
    AssetListResponse,
    AssetSearchRequest,
    OffsetSearchResponse,
    PagedSearchResponse,
    ScenarioAsset,
    ScenarioHit,
    scenario_asset,
)
from impasto.scenario.assets.search import window
from impasto.scenario.models.endpoints import Caller


def _storable_params(request: Request, _: Caller) -> None:
    """``storable_params`` after Scenario's own authentication: the endpoints share this
    dependency, so a request is authenticated (and rate-limited) once."""
    check_storable(request)


router = APIRouter(
    route_class=BoundedRoute,
    prefix="/scenario/v1",
    include_in_schema=False,
    dependencies=[Depends(_storable_params)],
)
Text = Annotated[str | None, Query(max_length=2048)]
Id = Annotated[str | None, Query(max_length=255)]


@router.get("/assets")
def list_scenario_assets(
    caller: Caller,
    session: ReadSession,
    assets: ReadAssets,
    base: BaseUrl,
    cursors: CursorsDep,
    sortBy: Text = None,
    sortDirection: Text = None,
    createdAfter: Text = None,
    createdBefore: Text = None,
    modelId: Id = None,
    parentAssetId: Id = None,
    rootAssetId: Id = None,
    privacy: Text = None,
    pageSize: Text = None,
    paginationToken: Annotated[str | None, Query(max_length=1024)] = None,
    originalAssets: Text = None,
) -> AssetListResponse:
    query = asset_query(
        RawAssetParams(
            sort_by=sortBy,
            sort_direction=sortDirection,
            created_after=createdAfter,
            created_before=createdBefore,
            model_id=modelId,
            parent_asset_id=parentAssetId,
            root_asset_id=rootAssetId,
            privacy=privacy,
            page_size=pageSize,
            pagination_token=paginationToken,
            original_assets=originalAssets,
        ),
        caller.owner,
    )
    rows, token = list_assets(session, query, cursors=cursors)
    views = asset_views(assets.repo, rows, base)
    return AssetListResponse(
        assets=[ScenarioAsset.model_validate(scenario_asset(view)) for view in views],
        nextPaginationToken=token,
    )


@router.post("/search/assets")
def search_scenario_assets(
    body: AssetSearchRequest,
    caller: Caller,
    search: AssetSearch,
    base: BaseUrl,
) -> OffsetSearchResponse | PagedSearchResponse:
    outcome = search.run(caller.owner, body, base)
    hits = [
        ScenarioHit.model_validate({**scenario_asset(view), "score": view.similarity})
        for view in outcome.views
    ]
    span = window(body)
    query = body.query or ""
    if body.page is not None or body.hitsPerPage is not None:
        return PagedSearchResponse(
            hits=hits,
            query=query,
            page=span.start // span.size + 1,
            hitsPerPage=span.size,
            totalHits=outcome.total,
            totalPages=-(-outcome.total // span.size),
        )
    return OffsetSearchResponse(
        hits=hits,
        query=query,
        limit=span.size,
        offset=span.start,
        estimatedTotalHits=outcome.total,
    )
