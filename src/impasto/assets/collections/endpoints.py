"""fal's asset collections and characters: ``/v1/assets/collections`` and ``/characters``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response, status

from impasto.assets.collections.deps import ReadCollections, WriteCollections
from impasto.assets.collections.service import UNSET, CollectionFields, CollectionService
from impasto.assets.deps import Browser, Idempotent, IdempotentAnswer
from impasto.assets.params import BrowseParams
from impasto.assets.schemas import (
    Ancestor,
    AssetList,
    CharacterCreate,
    CharacterEnvelope,
    CharacterList,
    CharacterOut,
    CharacterPatch,
    CollectionCreate,
    CollectionEnvelope,
    CollectionList,
    CollectionOut,
    CollectionPatch,
    Hierarchy,
    MoveBody,
    Node,
    Success,
    TargetBody,
)
from impasto.assets.service import Target
from impasto.keys.auth import ApiPrincipal
from impasto.kit.http.bodies import BoundedRoute

router = APIRouter(route_class=BoundedRoute)

CollectionId = Annotated[str, Path(min_length=1, max_length=64)]
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int | None, Query(ge=0, le=1_000_000)]


def _fields(
    body: CollectionCreate | CollectionPatch | CharacterCreate | CharacterPatch,
) -> CollectionFields:
    sent = body.model_dump(exclude_unset=True)
    return CollectionFields(
        **{
            name: sent.get(name, UNSET)
            for name in (
                "name",
                "description",
                "icon",
                "color",
                "cover_image_url",
                "filters",
                "reference_images",
            )
            if name in type(body).model_fields
        }
    )


def _out(view: Any) -> CollectionOut:
    return CollectionOut.model_validate(view)


def _character(view: Any) -> CharacterOut:
    return CharacterOut.model_validate(view)


# -- collections --------------------------------------------------------------------------


@router.get("/collections", operation_id="listAssetCollections", summary="List collections")
def list_collections(
    principal: ApiPrincipal,
    collections: ReadCollections,
    limit: Limit = 50,
    offset: Offset = 0,
) -> CollectionList:
    views = collections.listing(principal.owner, characters=False, limit=limit, offset=offset or 0)
    return CollectionList(collections=[_out(v) for v in views])


@router.post(
    "/collections",
    operation_id="createAssetCollection",
    summary="Create a collection",
    status_code=status.HTTP_201_CREATED,
    response_model=CollectionEnvelope,
)
def create_collection(
    body: CollectionCreate,
    principal: ApiPrincipal,
    collections: WriteCollections,
    idempotent: IdempotentAnswer,
) -> Response:
    return idempotent.answer(
        "createAssetCollection",
        request=body.model_dump(),
        status_code=201,
        produce=lambda: CollectionEnvelope(
            collection=_out(
                collections.create(
                    principal.owner, _fields(body), parent_id=body.parent_collection_id
                )
            )
        ),
    )


@router.get(
    "/collections/{collection_id}", operation_id="getAssetCollection", summary="Get a collection"
)
def get_collection(
    collection_id: CollectionId,
    principal: ApiPrincipal,
    collections: ReadCollections,
) -> CollectionEnvelope:
    view = collections.get(principal.owner, collection_id, character=False)
    return CollectionEnvelope(collection=_out(view))


@router.patch(
    "/collections/{collection_id}",
    operation_id="updateAssetCollection",
    summary="Update a collection",
    response_model=CollectionEnvelope,
)
def update_collection(
    collection_id: CollectionId,
    body: CollectionPatch,
    principal: ApiPrincipal,
    collections: WriteCollections,
    idempotent: IdempotentAnswer,
) -> Response:
    return idempotent.answer(
        f"updateAssetCollection:{collection_id}",
        request=body.model_dump(exclude_unset=True),
        status_code=200,
        produce=lambda: CollectionEnvelope(
            collection=_out(
                collections.update(principal.owner, collection_id, _fields(body), character=False)
            )
        ),
    )


@router.delete(
    "/collections/{collection_id}",
    operation_id="deleteAssetCollection",
    summary="Delete a collection",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
def delete_collection(
    collection_id: CollectionId,
    principal: ApiPrincipal,
    collections: WriteCollections,
    idempotent: IdempotentAnswer,
) -> Response:
    def produce() -> None:
        collections.delete(principal.owner, collection_id, character=False)

    return idempotent.answer(
        f"deleteAssetCollection:{collection_id}",
        request=None,
        status_code=204,
        produce=produce,
    )


@router.get(
    "/collections/{collection_id}/hierarchy",
    operation_id="getAssetCollectionHierarchy",
    summary="A collection's sub-collections and ancestors",
)
def hierarchy(
    collection_id: CollectionId,
    principal: ApiPrincipal,
    collections: ReadCollections,
) -> Hierarchy:
    root, ancestors = collections.hierarchy(principal.owner, collection_id)
    return Hierarchy(
        hierarchy=Node.model_validate(root, from_attributes=True),
        ancestors=[Ancestor.model_validate(a, from_attributes=True) for a in ancestors],
    )


@router.post(
    "/collections/{collection_id}/favorite",
    operation_id="favoriteAssetCollection",
    summary="Favorite a collection",
    response_model=CollectionEnvelope,
)
def favorite_collection(
    collection_id: CollectionId,
    principal: ApiPrincipal,
    collections: WriteCollections,
    idempotent: IdempotentAnswer,
) -> Response:
    return _favorite_collection(collection_id, principal.owner, collections, idempotent, True)


@router.post(
    "/collections/{collection_id}/unfavorite",
    operation_id="unfavoriteAssetCollection",
    summary="Unfavorite a collection",
    response_model=CollectionEnvelope,
)
def unfavorite_collection(
    collection_id: CollectionId,
    principal: ApiPrincipal,
    collections: WriteCollections,
    idempotent: IdempotentAnswer,
) -> Response:
    return _favorite_collection(collection_id, principal.owner, collections, idempotent, False)


def _favorite_collection(
    collection_id: str,
    owner: str,
    collections: CollectionService,
    idempotent: Idempotent,
    value: bool,
) -> Response:
    def produce() -> CollectionEnvelope:
        view = collections.favorite(owner, collection_id, value, character=False)
        return CollectionEnvelope(collection=_out(view))

    # Stored answers are keyed by this operation string: it must not change.
    return idempotent.answer(
        f"favorite:False:{value}:{collection_id}",
        request=None,
        status_code=200,
        produce=produce,
    )


@router.post(
    "/collections/{collection_id}/move",
    operation_id="moveAssetCollection",
    summary="Move a collection under another (or to the top)",
    response_model=CollectionEnvelope,
)
def move_collection(
    collection_id: CollectionId,
    body: MoveBody,
    principal: ApiPrincipal,
    collections: WriteCollections,
    idempotent: IdempotentAnswer,
) -> Response:
    return idempotent.answer(
        f"moveAssetCollection:{collection_id}",
        request=body.model_dump(),
        status_code=200,
        produce=lambda: CollectionEnvelope(
            collection=_out(
                collections.move(principal.owner, collection_id, body.parent_collection_id)
            )
        ),
    )


@router.get(
    "/collections/{collection_id}/assets",
    operation_id="listAssetCollectionAssets",
    summary="Browse or search the assets of a collection",
)
def collection_assets(
    collection_id: CollectionId,
    principal: ApiPrincipal,
    browser: Browser,
    params: Annotated[BrowseParams, Depends()],
) -> AssetList:
    return browser.browse(principal.owner, params, collection_id)


@router.post(
    "/collections/{collection_id}/assets",
    operation_id="addAssetToCollection",
    summary="Add an asset to a collection",
    response_model=Success,
)
def add_asset(
    collection_id: CollectionId,
    body: TargetBody,
    principal: ApiPrincipal,
    collections: WriteCollections,
    idempotent: IdempotentAnswer,
) -> Response:
    return _put_asset(collection_id, body, principal.owner, collections, idempotent, True)


@router.delete(
    "/collections/{collection_id}/assets",
    operation_id="removeAssetFromCollection",
    summary="Remove an asset from a collection",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
def remove_asset(
    collection_id: CollectionId,
    body: TargetBody,
    principal: ApiPrincipal,
    collections: WriteCollections,
    idempotent: IdempotentAnswer,
) -> Response:
    return _put_asset(collection_id, body, principal.owner, collections, idempotent, False)


def _put_asset(
    collection_id: str,
    body: TargetBody,
    owner: str,
    collections: CollectionService,
    idempotent: Idempotent,
    present: bool,
) -> Response:
    def produce() -> Success | None:
        target = Target(body.asset_id, body.request_id, body.vector_id)
        collections.put_asset(owner, collection_id, target, present)
        return Success() if present else None

    return idempotent.answer(
        f"collectionAsset:{present}:{collection_id}",
        request=body.model_dump(),
        status_code=200 if present else 204,
        produce=produce,
    )


# -- characters ---------------------------------------------------------------------------


@router.get("/characters", operation_id="listAssetCharacters", summary="List characters")
def list_characters(
    principal: ApiPrincipal,
    collections: ReadCollections,
    limit: Limit = 50,
    offset: Offset = 0,
) -> CharacterList:
    views = collections.listing(principal.owner, characters=True, limit=limit, offset=offset or 0)
    return CharacterList(characters=[_character(v) for v in views])


@router.post(
    "/characters",
    operation_id="createAssetCharacter",
    summary="Create a character",
    status_code=status.HTTP_201_CREATED,
    response_model=CharacterEnvelope,
)
def create_character(
    body: CharacterCreate,
    principal: ApiPrincipal,
    collections: WriteCollections,
    idempotent: IdempotentAnswer,
) -> Response:
    return idempotent.answer(
        "createAssetCharacter",
        request=body.model_dump(),
        status_code=201,
        produce=lambda: CharacterEnvelope(
            character=_character(
                collections.create(
                    principal.owner, _fields(body), identifier=body.identifier, character=True
                )
            )
        ),
    )


@router.get(
    "/characters/{character_id}", operation_id="getAssetCharacter", summary="Get a character"
)
def get_character(
    character_id: CollectionId,
    principal: ApiPrincipal,
    collections: ReadCollections,
) -> CharacterEnvelope:
    view = collections.get(principal.owner, character_id, character=True)
    return CharacterEnvelope(character=_character(view))


@router.patch(
    "/characters/{character_id}",
    operation_id="updateAssetCharacter",
    summary="Update a character",
    response_model=CharacterEnvelope,
)
def update_character(
    character_id: CollectionId,
    body: CharacterPatch,
    principal: ApiPrincipal,
    collections: WriteCollections,
    idempotent: IdempotentAnswer,
) -> Response:
    return idempotent.answer(
        f"updateAssetCharacter:{character_id}",
        request=body.model_dump(exclude_unset=True),
        status_code=200,
        produce=lambda: CharacterEnvelope(
            character=_character(
                collections.update(principal.owner, character_id, _fields(body), character=True)
            )
        ),
    )


@router.delete(
    "/characters/{character_id}",
    operation_id="deleteAssetCharacter",
    summary="Delete a character",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
def delete_character(
    character_id: CollectionId,
    principal: ApiPrincipal,
    collections: WriteCollections,
    idempotent: IdempotentAnswer,
) -> Response:
    def produce() -> None:
        collections.delete(principal.owner, character_id, character=True)

    return idempotent.answer(
        f"deleteAssetCharacter:{character_id}",
        request=None,
        status_code=204,
        produce=produce,
    )


@router.post(
    "/characters/{character_id}/favorite",
    operation_id="favoriteAssetCharacter",
    summary="Favorite a character",
    response_model=CharacterEnvelope,
)
def favorite_character(
    character_id: CollectionId,
    principal: ApiPrincipal,
    collections: WriteCollections,
    idempotent: IdempotentAnswer,
) -> Response:
    return _favorite_character(character_id, principal.owner, collections, idempotent, True)


@router.post(
    "/characters/{character_id}/unfavorite",
    operation_id="unfavoriteAssetCharacter",
    summary="Unfavorite a character",
    response_model=CharacterEnvelope,
)
def unfavorite_character(
    character_id: CollectionId,
    principal: ApiPrincipal,
    collections: WriteCollections,
    idempotent: IdempotentAnswer,
) -> Response:
    return _favorite_character(character_id, principal.owner, collections, idempotent, False)


def _favorite_character(
    character_id: str,
    owner: str,
    collections: CollectionService,
    idempotent: Idempotent,
    value: bool,
) -> Response:
    def produce() -> CharacterEnvelope:
        view = collections.favorite(owner, character_id, value, character=True)
        return CharacterEnvelope(character=_character(view))

    return idempotent.answer(
        f"favoriteCharacter:{value}:{character_id}",
        request=None,
        status_code=200,
        produce=produce,
    )
