"""fal's asset collections and characters: ``/v1/assets/collections`` and ``/characters``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status

from impasto.assets.collections.service import UNSET, CollectionFields, CollectionService
from impasto.assets.deps import answer
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
from impasto.assets.search.params import BrowseParams, run_browse
from impasto.assets.service import Target
from impasto.deps import ContainerDep, ReadSession, WriteSession
from impasto.keys.auth import ApiPrincipal
from impasto.kit.http.bodies import BoundedRoute

router = APIRouter(route_class=BoundedRoute)

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Optional idempotency key for safe retries"),
]
CollectionId = Annotated[str, Path(min_length=1, max_length=64)]
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int | None, Query(ge=0, le=1_000_000)]


def _service(session: Any, container: ContainerDep) -> CollectionService:
    return CollectionService(session, container.clock, container.ids)


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
    session: ReadSession,
    container: ContainerDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> CollectionList:
    views = _service(session, container).listing(
        principal.owner, characters=False, limit=limit, offset=offset or 0
    )
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
    session: WriteSession,
    container: ContainerDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    return answer(
        session,
        container,
        owner=principal.owner,
        key=idempotency_key,
        operation="createAssetCollection",
        request=body.model_dump(),
        status_code=201,
        produce=lambda: CollectionEnvelope(
            collection=_out(
                _service(session, container).create(
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
    session: ReadSession,
    container: ContainerDep,
) -> CollectionEnvelope:
    view = _service(session, container).get(principal.owner, collection_id, character=False)
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
    session: WriteSession,
    container: ContainerDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    return answer(
        session,
        container,
        owner=principal.owner,
        key=idempotency_key,
        operation=f"updateAssetCollection:{collection_id}",
        request=body.model_dump(exclude_unset=True),
        status_code=200,
        produce=lambda: CollectionEnvelope(
            collection=_out(
                _service(session, container).update(
                    principal.owner, collection_id, _fields(body), character=False
                )
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
    session: WriteSession,
    container: ContainerDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    def produce() -> None:
        _service(session, container).delete(principal.owner, collection_id, character=False)

    return answer(
        session,
        container,
        owner=principal.owner,
        key=idempotency_key,
        operation=f"deleteAssetCollection:{collection_id}",
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
    session: ReadSession,
    container: ContainerDep,
) -> Hierarchy:
    root, ancestors = _service(session, container).hierarchy(principal.owner, collection_id)
    return Hierarchy(
        hierarchy=Node.model_validate(root, from_attributes=True),
        ancestors=[Ancestor.model_validate(a, from_attributes=True) for a in ancestors],
    )


def _favorite_collection(value: bool, character: bool):  # type: ignore[no-untyped-def]
    envelope = CharacterEnvelope if character else CollectionEnvelope

    def endpoint(
        collection_id: CollectionId,
        principal: ApiPrincipal,
        session: WriteSession,
        container: ContainerDep,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        def produce() -> Any:
            view = _service(session, container).favorite(
                principal.owner, collection_id, value, character=character
            )
            if character:
                return CharacterEnvelope(character=_character(view))
            return CollectionEnvelope(collection=_out(view))

        return answer(
            session,
            container,
            owner=principal.owner,
            key=idempotency_key,
            operation=f"favorite:{character}:{value}:{collection_id}",
            request=None,
            status_code=200,
            produce=produce,
        )

    return envelope, endpoint


for _value, _verb in ((True, "favorite"), (False, "unfavorite")):
    _model, _endpoint = _favorite_collection(_value, False)
    router.post(
        f"/collections/{{collection_id}}/{_verb}",
        operation_id=f"{_verb}AssetCollection",
        summary=f"{_verb.capitalize()} a collection",
        response_model=_model,
    )(_endpoint)


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
    session: WriteSession,
    container: ContainerDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    return answer(
        session,
        container,
        owner=principal.owner,
        key=idempotency_key,
        operation=f"moveAssetCollection:{collection_id}",
        request=body.model_dump(),
        status_code=200,
        produce=lambda: CollectionEnvelope(
            collection=_out(
                _service(session, container).move(
                    principal.owner, collection_id, body.parent_collection_id
                )
            )
        ),
    )


@router.get(
    "/collections/{collection_id}/assets",
    operation_id="listAssetCollectionAssets",
    summary="Browse or search the assets of a collection",
)
def collection_assets(
    request: Request,
    collection_id: CollectionId,
    principal: ApiPrincipal,
    session: ReadSession,
    container: ContainerDep,
    params: Annotated[BrowseParams, Depends()],
) -> AssetList:
    return run_browse(request, principal, session, container, params, collection_id)


def _put_asset(present: bool):  # type: ignore[no-untyped-def]
    def endpoint(
        collection_id: CollectionId,
        body: TargetBody,
        principal: ApiPrincipal,
        session: WriteSession,
        container: ContainerDep,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        def produce() -> Success | None:
            target = Target(body.asset_id, body.request_id, body.vector_id)
            _service(session, container).put_asset(principal.owner, collection_id, target, present)
            return Success() if present else None

        return answer(
            session,
            container,
            owner=principal.owner,
            key=idempotency_key,
            operation=f"collectionAsset:{present}:{collection_id}",
            request=body.model_dump(),
            status_code=200 if present else 204,
            produce=produce,
        )

    return endpoint


router.post(
    "/collections/{collection_id}/assets",
    operation_id="addAssetToCollection",
    summary="Add an asset to a collection",
    response_model=Success,
)(_put_asset(True))
router.delete(
    "/collections/{collection_id}/assets",
    operation_id="removeAssetFromCollection",
    summary="Remove an asset from a collection",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)(_put_asset(False))


# -- characters ---------------------------------------------------------------------------


@router.get("/characters", operation_id="listAssetCharacters", summary="List characters")
def list_characters(
    principal: ApiPrincipal,
    session: ReadSession,
    container: ContainerDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> CharacterList:
    views = _service(session, container).listing(
        principal.owner, characters=True, limit=limit, offset=offset or 0
    )
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
    session: WriteSession,
    container: ContainerDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    return answer(
        session,
        container,
        owner=principal.owner,
        key=idempotency_key,
        operation="createAssetCharacter",
        request=body.model_dump(),
        status_code=201,
        produce=lambda: CharacterEnvelope(
            character=_character(
                _service(session, container).create(
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
    session: ReadSession,
    container: ContainerDep,
) -> CharacterEnvelope:
    view = _service(session, container).get(principal.owner, character_id, character=True)
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
    session: WriteSession,
    container: ContainerDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    return answer(
        session,
        container,
        owner=principal.owner,
        key=idempotency_key,
        operation=f"updateAssetCharacter:{character_id}",
        request=body.model_dump(exclude_unset=True),
        status_code=200,
        produce=lambda: CharacterEnvelope(
            character=_character(
                _service(session, container).update(
                    principal.owner, character_id, _fields(body), character=True
                )
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
    session: WriteSession,
    container: ContainerDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    def produce() -> None:
        _service(session, container).delete(principal.owner, character_id, character=True)

    return answer(
        session,
        container,
        owner=principal.owner,
        key=idempotency_key,
        operation=f"deleteAssetCharacter:{character_id}",
        request=None,
        status_code=204,
        produce=produce,
    )


def _favorite_character(value: bool):  # type: ignore[no-untyped-def]
    def endpoint(
        character_id: CollectionId,
        principal: ApiPrincipal,
        session: WriteSession,
        container: ContainerDep,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        def produce() -> CharacterEnvelope:
            view = _service(session, container).favorite(
                principal.owner, character_id, value, character=True
            )
            return CharacterEnvelope(character=_character(view))

        return answer(
            session,
            container,
            owner=principal.owner,
            key=idempotency_key,
            operation=f"favoriteCharacter:{value}:{character_id}",
            request=None,
            status_code=200,
            produce=produce,
        )

    return endpoint


for _value, _verb in ((True, "favorite"), (False, "unfavorite")):
    router.post(
        f"/characters/{{character_id}}/{_verb}",
        operation_id=f"{_verb}AssetCharacter",
        summary=f"{_verb.capitalize()} a character",
        response_model=CharacterEnvelope,
    )(_favorite_character(_value))
