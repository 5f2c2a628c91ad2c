"""Impasto's catalog administration: create, update, delete entries and set prices.

ADMIN keys manage their own owner's entries; the operator's owner
(``IMPASTO_BOOTSTRAP_OWNER``) manages every entry. Another owner's private entry is a 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status

import impasto.catalog.routing  # noqa: F401  - registers {name:endpoint}
from impasto.catalog.deps import ReadCatalog, WriteCatalog
from impasto.catalog.schemas import AdminModel, admin_model
from impasto.catalog.spec import EntryFields, EntrySpec, PriceSpec
from impasto.keys.auth import AdminPrincipal
from impasto.kit.http.bodies import BoundedRoute
from impasto.kit.http.openapi import ERROR_RESPONSES, ErrorResponse

responses = {**ERROR_RESPONSES, 409: {"model": ErrorResponse, "description": "Already exists"}}
router = APIRouter(
    route_class=BoundedRoute,
    prefix="/v1/admin",
    tags=["Catalog administration"],
    responses=responses,
)

EndpointIdPath = Annotated[str, Path(min_length=1, max_length=255, description="Endpoint id")]


@router.post(
    "/models",
    operation_id="createModel",
    summary="Create a catalog entry",
    status_code=status.HTTP_201_CREATED,
)
def create_model(
    body: EntrySpec,
    request: Request,
    principal: AdminPrincipal,
    catalog: WriteCatalog,
) -> AdminModel:
    """Create an entry; its owner is the first segment of `endpoint_id`."""
    entry = catalog.create(body, actor=principal.owner)
    return admin_model(entry, str(request.base_url))


@router.put(
    "/model-prices/{endpoint_id:endpoint}",
    operation_id="setModelPrice",
    summary="Set a model's price",
)
def set_price(
    endpoint_id: EndpointIdPath,
    body: PriceSpec,
    request: Request,
    principal: AdminPrincipal,
    catalog: WriteCatalog,
) -> AdminModel:
    catalog.set_price(endpoint_id, body, actor=principal.owner)
    return admin_model(
        catalog.get_managed(endpoint_id, actor=principal.owner), str(request.base_url)
    )


@router.delete(
    "/model-prices/{endpoint_id:endpoint}",
    operation_id="deleteModelPrice",
    summary="Remove a model's price",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
def delete_price(
    endpoint_id: EndpointIdPath,
    principal: AdminPrincipal,
    catalog: WriteCatalog,
) -> Response:
    catalog.set_price(endpoint_id, None, actor=principal.owner)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/models/{endpoint_id:endpoint}", operation_id="getModelEntry", summary="Get an entry")
def get_model(
    endpoint_id: EndpointIdPath,
    request: Request,
    principal: AdminPrincipal,
    catalog: ReadCatalog,
) -> AdminModel:
    entry = catalog.get_managed(endpoint_id, actor=principal.owner)
    return admin_model(entry, str(request.base_url))


@router.patch(
    "/models/{endpoint_id:endpoint}",
    operation_id="updateModel",
    summary="Update a catalog entry",
)
def update_model(
    endpoint_id: EndpointIdPath,
    body: EntryFields,
    request: Request,
    principal: AdminPrincipal,
    catalog: WriteCatalog,
) -> AdminModel:
    """Set any of the fields (thumbnails, tags, collections, highlighted, pinned, ...); fields
    left out keep their values, `null` resets an optional one."""
    entry = catalog.update(endpoint_id, body, actor=principal.owner)
    return admin_model(entry, str(request.base_url))


@router.delete(
    "/models/{endpoint_id:endpoint}",
    operation_id="deleteModel",
    summary="Delete a catalog entry",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
def delete_model(
    endpoint_id: EndpointIdPath,
    principal: AdminPrincipal,
    catalog: WriteCatalog,
) -> Response:
    catalog.delete(endpoint_id, actor=principal.owner)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
