"""fal's Assets operations under ``/v1/assets``: browse and search, get, lineage, uploads,
favorites and tags. Collections and characters live in ``collections/endpoints.py``."""

from __future__ import annotations

from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Depends, Path, Query, Response, status

from impasto.assets.collections.endpoints import router as collections_router
from impasto.assets.deps import (
    Browser,
    Idempotent,
    IdempotentAnswer,
    ReadAssets,
    WriteAssets,
    storable_params,
)
from impasto.assets.lineage import lineage
from impasto.assets.params import BrowseParams
from impasto.assets.schemas import (
    AssetEnvelope,
    AssetList,
    AssetOut,
    Favorited,
    Lineage,
    SetTagsBody,
    Success,
    Tag,
    TagBody,
    TagEnvelope,
    TagList,
    TagPatch,
    TargetBody,
    UploadBody,
)
from impasto.assets.service import AssetService, Target
from impasto.deps import BaseUrl, OwnBases
from impasto.files.deps import Files
from impasto.keys.auth import ApiPrincipal
from impasto.kit.http.bodies import BoundedRoute
from impasto.kit.http.openapi import ERROR_RESPONSES

router = APIRouter(
    route_class=BoundedRoute,
    prefix="/v1/assets",
    tags=["Assets"],
    responses={**ERROR_RESPONSES, 409: ERROR_RESPONSES[400]},
    dependencies=[Depends(storable_params)],
)
# Static paths (/collections, /characters, /tags) before /{asset_id}.
router.include_router(collections_router)

AssetId = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("", operation_id="listAssets", summary="Browse or search assets")
def list_assets(
    principal: ApiPrincipal,
    browser: Browser,
    params: Annotated[BrowseParams, Depends()],
    collection_id: Annotated[str | None, Query(max_length=64)] = None,
) -> AssetList:
    """Newest first, or ranked by hybrid search when `q`, `search_image_url` or
    `search_video_url` is given (at most one). The cursor only works with the same query."""
    return browser.browse(principal.owner, params, collection_id)


def _target(body: TargetBody | SetTagsBody) -> Target:
    return Target(asset_id=body.asset_id, request_id=body.request_id, vector_id=body.vector_id)


@router.post(
    "/uploads",
    operation_id="uploadAsset",
    summary="Save a URL as an asset",
    status_code=status.HTTP_201_CREATED,
    response_model=AssetEnvelope,
)
async def upload_asset(
    body: UploadBody,
    principal: ApiPrincipal,
    files: Files,
    bases: OwnBases,
    base: BaseUrl,
    assets: WriteAssets,
    idempotent: IdempotentAnswer,
) -> Response:
    """A file this server serves (readable by the caller) is linked; any other http(s) URL
    is recorded as it is, without being fetched."""
    # Resolved before the write transaction's first statement, which takes the write lock.
    file = await files.resolve_own(body.url, caller=principal.owner, bases=bases)

    def work() -> Response:
        return idempotent.answer(
            "uploadAsset",
            request=body.model_dump(),
            status_code=201,
            produce=lambda: AssetEnvelope(
                asset=AssetOut.model_validate(
                    assets.save_url(
                        principal.owner,
                        url=body.url,
                        media_type=body.type,
                        file=file,
                        prompt=body.prompt,
                        collection_id=body.collection_id,
                        favorite=body.favorite,
                        tag_ids=body.tag_ids,
                        base=base,
                    )
                )
            ),
        )

    return await to_thread.run_sync(work)


@router.post(
    "/favorite", operation_id="favoriteAsset", summary="Favorite an asset", response_model=Favorited
)
def favorite_asset(
    body: TargetBody, principal: ApiPrincipal, assets: WriteAssets, idempotent: IdempotentAnswer
) -> Response:
    return _favorite(body, principal.owner, assets, idempotent, True)


@router.post(
    "/unfavorite",
    operation_id="unfavoriteAsset",
    summary="Unfavorite an asset",
    response_model=Favorited,
)
def unfavorite_asset(
    body: TargetBody, principal: ApiPrincipal, assets: WriteAssets, idempotent: IdempotentAnswer
) -> Response:
    return _favorite(body, principal.owner, assets, idempotent, False)


def _favorite(
    body: TargetBody, owner: str, assets: AssetService, idempotent: Idempotent, value: bool
) -> Response:
    return idempotent.answer(
        "favoriteAsset" if value else "unfavoriteAsset",
        request=body.model_dump(),
        status_code=200,
        produce=lambda: Favorited(is_favorited=assets.favorite(owner, _target(body), value)),
    )


# -- tags ---------------------------------------------------------------------------------


@router.get("/tags", operation_id="listAssetTags", summary="List tags")
def list_tags(principal: ApiPrincipal, assets: ReadAssets) -> TagList:
    tags = assets.tags(principal.owner)
    return TagList(tags=[Tag.model_validate(t) for t in tags])


@router.post(
    "/tags",
    operation_id="createAssetTag",
    summary="Create a tag",
    status_code=status.HTTP_201_CREATED,
    response_model=TagEnvelope,
)
def create_tag(
    body: TagBody,
    principal: ApiPrincipal,
    assets: WriteAssets,
    idempotent: IdempotentAnswer,
) -> Response:
    return idempotent.answer(
        "createAssetTag",
        request=body.model_dump(),
        status_code=201,
        produce=lambda: TagEnvelope(
            tag=Tag.model_validate(assets.create_tag(principal.owner, body.name))
        ),
    )


@router.put(
    "/tags",
    operation_id="setAssetTagsForAsset",
    summary="Set an asset's tags",
    response_model=TagList,
)
def set_tags(
    body: SetTagsBody,
    principal: ApiPrincipal,
    assets: WriteAssets,
    idempotent: IdempotentAnswer,
) -> Response:
    return idempotent.answer(
        "setAssetTagsForAsset",
        request=body.model_dump(),
        status_code=200,
        produce=lambda: TagList(
            tags=[
                Tag.model_validate(t)
                for t in assets.set_tags(principal.owner, _target(body), body.tag_ids)
            ]
        ),
    )


TagId = Annotated[str, Path(min_length=1, max_length=64)]


@router.patch(
    "/tags/{tag_id}",
    operation_id="updateAssetTag",
    summary="Rename a tag",
    response_model=TagEnvelope,
)
def update_tag(
    tag_id: TagId,
    body: TagPatch,
    principal: ApiPrincipal,
    assets: WriteAssets,
    idempotent: IdempotentAnswer,
) -> Response:
    return idempotent.answer(
        f"updateAssetTag:{tag_id}",
        request=body.model_dump(),
        status_code=200,
        produce=lambda: TagEnvelope(
            tag=Tag.model_validate(assets.rename_tag(principal.owner, tag_id, body.name))
        ),
    )


@router.delete(
    "/tags/{tag_id}",
    operation_id="deleteAssetTag",
    summary="Delete a tag",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
def delete_tag(
    tag_id: TagId,
    principal: ApiPrincipal,
    assets: WriteAssets,
    idempotent: IdempotentAnswer,
) -> Response:
    def produce() -> None:
        assets.delete_tag(principal.owner, tag_id)

    return idempotent.answer(
        f"deleteAssetTag:{tag_id}",
        request=None,
        status_code=204,
        produce=produce,
    )


@router.post(
    "/tags/{tag_id}/assign",
    operation_id="assignAssetTag",
    summary="Tag an asset",
    response_model=Success,
)
def assign_tag(
    tag_id: TagId,
    body: TargetBody,
    principal: ApiPrincipal,
    assets: WriteAssets,
    idempotent: IdempotentAnswer,
) -> Response:
    def produce() -> Success:
        assets.assign(principal.owner, tag_id, _target(body), True)
        return Success()

    return idempotent.answer(
        f"assignAssetTag:{tag_id}",
        request=body.model_dump(),
        status_code=200,
        produce=produce,
    )


@router.delete(
    "/tags/{tag_id}/assign",
    operation_id="unassignAssetTag",
    summary="Untag an asset",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
def unassign_tag(
    tag_id: TagId,
    body: TargetBody,
    principal: ApiPrincipal,
    assets: WriteAssets,
    idempotent: IdempotentAnswer,
) -> Response:
    def produce() -> None:
        assets.assign(principal.owner, tag_id, _target(body), False)

    return idempotent.answer(
        f"unassignAssetTag:{tag_id}",
        request=body.model_dump(),
        status_code=204,
        produce=produce,
    )


# -- one asset (last: /{asset_id} would shadow the static paths above) --------------------


@router.get("/{asset_id}", operation_id="getAsset", summary="Get an asset")
def get_asset(
    asset_id: AssetId,
    principal: ApiPrincipal,
    assets: ReadAssets,
    base: BaseUrl,
) -> AssetEnvelope:
    view = assets.get(principal.owner, asset_id, base)
    return AssetEnvelope(asset=AssetOut.model_validate(view))


@router.get("/{asset_id}/lineage", operation_id="getAssetLineage", summary="An asset's lineage")
def get_lineage(
    asset_id: AssetId,
    principal: ApiPrincipal,
    assets: ReadAssets,
    base: BaseUrl,
    depth: Annotated[int, Query(ge=1, le=5)] = 5,
) -> Lineage:
    graph = lineage(assets.repo, principal.owner, asset_id, depth, base)
    return Lineage(lineage=graph)


@router.get("/{asset_id}/tags", operation_id="listAssetTagsForAsset", summary="An asset's tags")
def asset_tags(asset_id: AssetId, principal: ApiPrincipal, assets: ReadAssets) -> TagList:
    tags = assets.tags_of(principal.owner, asset_id)
    return TagList(tags=[Tag.model_validate(t) for t in tags])
