from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field

from impasto import __version__
from impasto.deps import ContainerDep
from impasto.keys.auth import authenticate
from impasto.kit.errors import ServiceUnavailable
from impasto.kit.http.bodies import BoundedRoute
from impasto.kit.http.openapi import ERROR_RESPONSES
from impasto.kit.logging import get_logger
from impasto.models import KeyScope

log = get_logger("impasto.platform")

router = APIRouter(route_class=BoundedRoute)


class Meta(BaseModel):
    webhook_ip_ranges: list[str] = Field(
        description="IP address ranges (CIDR notation) webhooks are sent from"
    )


class Health(BaseModel):
    status: str
    version: str
    database: str


@router.get(
    "/v1/meta",
    tags=["Meta"],
    operation_id="getMeta",
    summary="Get platform metadata",
    responses={k: v for k, v in ERROR_RESPONSES.items() if k in (429, 500)},
)
def get_meta(container: ContainerDep) -> Meta:
    """Platform metadata, including the IP ranges webhooks are sent from."""
    return Meta(webhook_ip_ranges=list(container.settings.webhook_ip_ranges))


@router.get("/health", include_in_schema=False)
def health(container: ContainerDep) -> Health:
    try:
        container.database.ping()
    except Exception as exc:
        log.warning("health check: database unreachable", error=str(exc))
        raise ServiceUnavailable("database unreachable") from exc
    return Health(status="ok", version=__version__, database=container.database.dialect)


@router.get("/metrics", include_in_schema=False)
def metrics(
    request: Request,
    container: ContainerDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    if not container.settings.metrics_public:
        authenticate(request, authorization, KeyScope.ADMIN)
    return Response(generate_latest(container.registry), media_type=CONTENT_TYPE_LATEST)
