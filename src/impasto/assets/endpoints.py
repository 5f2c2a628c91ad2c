"""fal's Assets operations under ``/v1/assets``: browse and search, get, lineage, uploads,
favorites and tags. Collections and characters live in ``collections/endpoints.py``."""

from __future__ import annotations

from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status

from impasto.assets.collections.endpoints import router as collections_router
from impasto.assets.deps import answer, base, storable_params
from impasto.assets.lineage import lineage
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
from impasto.assets.search.params import BrowseParams, run_browse
from impasto.assets.service import AssetService, Target
from impasto.deps import ContainerDep, ReadSession, WriteSession
from impasto.files.cdn.responses import own_bases
from impasto.files.service import FileService
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

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Optional idempotency key for safe retries"),
]
AssetId = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("", operation_id="listAssets", summary="Browse or search assets")
def list_assets(
    request: Request,
    principal: ApiPrincipal,
    session: ReadSession,
    container: ContainerDep,
    params: Annotated[BrowseParams, Depends()],
    collection_id: Annotated[str | None, Query(max_length=64)] = None,
) -> AssetList:
    """Newest first, or ranked by hybrid search when `q`, `search_image_url` or
    `search_video_url` is given (at most one). The cursor only works with the same query."""
    return run_browse(request, principal, session, container, params, collection_id)


def _service(session: ReadSession | WriteSession, container: ContainerDep) -> AssetService:
    return AssetService(session, container.clock, container.ids)


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
    request: Request,
    body: UploadBody,
    principal: ApiPrincipal,
    container: ContainerDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """A file this server serves (readable by the caller) is linked; any other http(s) URL
    is recorded as it is, without being fetched."""
    bases = own_bases(request, container.settings.public_url)
    file = await FileService(container.files).resolve_own(
        body.url, caller=principal.owner, bases=bases
    )
    site = base(request, container)

    def work() -> Response:
        with container.database.session(write=True) as session:
            return answer(
                session,
                container,
                owner=principal.owner,
                key=idempotency_key,
                operation="uploadAsset",
                request=body.model_dump(),
                status_code=201,
                produce=lambda: AssetEnvelope(
                    asset=AssetOut.model_validate(
                        _service(session, container).save_url(
                            principal.owner,
                            url=body.url,
                            media_type=body.type,
                            file=file,
                            prompt=body.prompt,
                            collection_id=body.collection_id,
                            favorite=body.favorite,
                            tag_ids=body.tag_ids,
                            base=site,
                        )
                    )
                ),
            )

    return await to_thread.run_sync(work)


def _favorite(value: bool):  # type: ignore[no-untyped-def]
    def endpoint(
        body: TargetBody,
        principal: ApiPrincipal,
        session: WriteSession,
        container: ContainerDep,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        return answer(
            session,
            container,
            owner=principal.owner,
            key=idempotency_key,
            operation="favoriteAsset" if value else "unfavoriteAsset",
            request=body.model_dump(),
            status_code=200,
            produce=lambda: Favorited(
                is_favorited=_service(session, container).favorite(
                    principal.owner, _target(body), value
                )
            ),
        )

    return endpoint


router.post(
    "/favorite", operation_id="favoriteAsset", summary="Favorite an asset", response_model=Favorited
)(_favorite(True))
router.post(
    "/unfavorite",
    operation_id="unfavoriteAsset",
    summary="Unfavorite an asset",
    response_model=Favorited,
)(_favorite(False))


# -- tags ---------------------------------------------------------------------------------


@router.get("/tags", operation_id="listAssetTags", summary="List tags")
def list_tags(principal: ApiPrincipal, session: ReadSession, container: ContainerDep) -> TagList:
    tags = _service(session, container).tags(principal.owner)
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
    session: WriteSession,
    container: ContainerDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    return answer(
        session,
        container,
        owner=principal.owner,
        key=idempotency_key,
        operation="createAssetTag",
        request=body.model_dump(),
        status_code=201,
        produce=lambda: TagEnvelope(
            tag=Tag.model_validate(
                _service(session, container).create_tag(principal.owner, body.name)
            )
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
    session: WriteSession,
    container: ContainerDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    return answer(
        session,
        container,
        owner=principal.owner,
        key=idempotency_key,
        operation="setAssetTagsForAsset",
        request=body.model_dump(),
        status_code=200,
        produce=lambda: TagList(
            tags=[
                Tag.model_validate(t)
                for t in _service(session, container).set_tags(
                    principal.owner, _target(body), body.tag_ids
                )
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
    session: WriteSession,
    container: ContainerDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    return answer(
        session,
        container,
        owner=principal.owner,
        key=idempotency_key,
        operation=f"updateAssetTag:{tag_id}",
        request=body.model_dump(),
        status_code=200,
        produce=lambda: TagEnvelope(
            tag=Tag.model_validate(
                _service(session, container).rename_tag(principal.owner, tag_id, body.name)
            )
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
    session: WriteSession,
    container: ContainerDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    def produce() -> None:
        _service(session, container).delete_tag(principal.owner, tag_id)

    return answer(
        session,
        container,
        owner=principal.owner,
        key=idempotency_key,
        operation=f"deleteAssetTag:{tag_id}",
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
    session: WriteSession,
    container: ContainerDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    def produce() -> Success:
        _service(session, container).assign(principal.owner, tag_id, _target(body), True)
        return Success()

    return answer(
        session,
        container,
        owner=principal.owner,
        key=idempotency_key,
        operation=f"assignAssetTag:{tag_id}",
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
    session: WriteSession,
    container: ContainerDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    def produce() -> None:
        _service(session, container).assign(principal.owner, tag_id, _target(body), False)

    return answer(
        session,
        container,
        owner=principal.owner,
        key=idempotency_key,
        operation=f"unassignAssetTag:{tag_id}",
        request=body.model_dump(),
        status_code=204,
        produce=produce,
    )


# -- one asset (last: /{asset_id} would shadow the static paths above) --------------------


@router.get("/{asset_id}", operation_id="getAsset", summary="Get an asset")
def get_asset(
    request: Request,
    asset_id: AssetId,
    principal: ApiPrincipal,
    session: ReadSession,
    container: ContainerDep,
) -> AssetEnvelope:
    view = _service(session, container).get(principal.owner, asset_id, base(request, container))
    return AssetEnvelope(asset=AssetOut.model_validate(view))


@router.get("/{asset_id}/lineage", operation_id="getAssetLineage", summary="An asset's lineage")
def get_lineage(
    request: Request,
    asset_id: AssetId,
    principal: ApiPrincipal,
    session: ReadSession,
    container: ContainerDep,
    depth: Annotated[int, Query(ge=1, le=5)] = 5,
) -> Lineage:
    service = _service(session, container)
    graph = lineage(service.repo, principal.owner, asset_id, depth, base(request, container))
    return Lineage(lineage=graph)


@router.get("/{asset_id}/tags", operation_id="listAssetTagsForAsset", summary="An asset's tags")
def asset_tags(
    asset_id: AssetId, principal: ApiPrincipal, session: ReadSession, container: ContainerDep
) -> TagList:
    tags = _service(session, container).tags_of(principal.owner, asset_id)
    return TagList(tags=[Tag.model_validate(t) for t in tags])
