"""Model weights over HTTP for the operator's ADMIN keys: list with disk usage, pull from
the Hub in the background with its progress readable while it runs, import from the
server's disk, remove, and serve under endpoint ids."""

from __future__ import annotations

import threading
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from impasto.kit.errors import Conflict, NotFound
from impasto.kit.http.bodies import BoundedRoute
from impasto.kit.http.openapi import ERROR_RESPONSES, ErrorResponse
from impasto.kit.logging import get_logger
from impasto.weights.deps import OperatorWeights
from impasto.weights.schemas import (
    AliasBody,
    ImportBody,
    PullBody,
    PullStatus,
    WeightsListing,
    WeightsModel,
    listing,
    pull_status,
    weights_model,
)

logger = get_logger(__name__)
responses = {**ERROR_RESPONSES, 409: {"model": ErrorResponse, "description": "In use or busy"}}
router = APIRouter(
    route_class=BoundedRoute,
    prefix="/v1/admin/weights",
    tags=["Model weights"],
    responses=responses,
)
NamePath = Annotated[str, Path(min_length=1, max_length=200, description="Model name")]
EndpointPath = Annotated[str, Path(min_length=3, max_length=255, description="Endpoint id")]


@router.get("", operation_id="listWeights", summary="Installed models and running pulls")
def list_weights(manager: OperatorWeights) -> WeightsListing:
    return listing(manager.list(), manager.board.all())


@router.post(
    "/pulls",
    operation_id="pullWeights",
    summary="Pull a diffusers pipeline from the Hub",
    status_code=status.HTTP_202_ACCEPTED,
)
def start_pull(body: PullBody, manager: OperatorWeights) -> PullStatus:
    """Starts the download and answers at once; `GET /pulls/{name}` follows it."""
    spec = f"{body.repo_id}@{body.revision}" if body.revision else body.repo_id
    name = body.name or body.repo_id
    try:
        progress = manager.board.start(name)
    except RuntimeError as exc:
        raise Conflict(str(exc)) from None

    def pull() -> None:
        try:
            manager.pull(spec, variant=body.variant, name=name, alias=body.alias, progress=progress)
        except Exception as exc:  # recorded in the progress the caller polls
            logger.warning("model_pull_failed", model=name, error=str(exc))

    threading.Thread(target=pull, name=f"pull-{name}", daemon=True).start()
    return pull_status(progress)


@router.get("/pulls/{name:path}", operation_id="getWeightsPull", summary="A pull's progress")
def get_pull(name: NamePath, manager: OperatorWeights) -> PullStatus:
    progress = manager.board.get(name)
    if progress is None:
        raise NotFound(f"no pull of {name} since this server started")
    return pull_status(progress)


@router.post(
    "/imports",
    operation_id="importWeights",
    summary="Register weights on the server's disk",
    status_code=status.HTTP_201_CREATED,
)
def import_weights(body: ImportBody, manager: OperatorWeights) -> WeightsModel:
    model = manager.import_path(FilePath(body.path), name=body.name, alias=body.alias)
    return weights_model(model, [body.alias] if body.alias else [])


@router.put(
    "/aliases/{endpoint_id:path}",
    operation_id="setWeightsAlias",
    summary="Serve an installed model under an endpoint id",
    status_code=status.HTTP_204_NO_CONTENT,
)
def set_alias(endpoint_id: EndpointPath, body: AliasBody, manager: OperatorWeights) -> Response:
    manager.add_alias(endpoint_id, body.model, body.task, body.device)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/aliases/{endpoint_id:path}",
    operation_id="deleteWeightsAlias",
    summary="Stop serving an endpoint id",
    status_code=status.HTTP_204_NO_CONTENT,
)
def delete_alias(endpoint_id: EndpointPath, manager: OperatorWeights) -> Response:
    manager.remove_alias(endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/{name:path}",
    operation_id="deleteWeights",
    summary="Remove an installed model (refused while served)",
    status_code=status.HTTP_204_NO_CONTENT,
)
def delete_weights(name: NamePath, manager: OperatorWeights) -> Response:
    manager.remove(name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
