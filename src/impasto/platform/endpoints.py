from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field

from impasto import __version__
from impasto.deps import DatabaseDep, SettingsDep
from impasto.keys.auth import authenticate
from impasto.kit.errors import ServiceUnavailable
from impasto.kit.http.bodies import BoundedRoute
from impasto.kit.http.openapi import ERROR_RESPONSES
from impasto.kit.logging import get_logger
from impasto.models import KeyScope
from impasto.platform.deps import RegistryDep

log = get_logger(__name__)

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
def get_meta(settings: SettingsDep) -> Meta:
    """Platform metadata, including the IP ranges webhooks are sent from."""
    return Meta(webhook_ip_ranges=list(settings.webhook_ip_ranges))


@router.get("/health", include_in_schema=False)
def health(database: DatabaseDep) -> Health:
    try:
        database.ping()
    except Exception as exc:
        log.warning("health_database_unreachable", error=str(exc))
        raise ServiceUnavailable("database unreachable") from exc
    return Health(status="ok", version=__version__, database=database.dialect)


@router.get("/metrics", include_in_schema=False)
def metrics(
    request: Request,
    settings: SettingsDep,
    registry: RegistryDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    if not settings.metrics_public:
        authenticate(request, authorization, KeyScope.ADMIN)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
