"""``/api/fal/proxy``: fal's server-proxy route (wire notes §9.1), answered in-process."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response

from impasto.deps import OwnBases, SettingsDep
from impasto.kit.http.bodies import BoundedRoute
from impasto.platform.proxy.relay import CORS_HEADERS, Relayed, sub_scope
from impasto.platform.proxy.targets import PROXY_PATH, TARGET_HEADER, TARGET_QUERY, resolve

router = APIRouter(route_class=BoundedRoute, include_in_schema=False)

TargetHeader = Annotated[str | None, Header(alias=TARGET_HEADER)]
TargetQuery = Annotated[str | None, Query(alias=TARGET_QUERY, max_length=8192)]


@router.api_route(PROXY_PATH, methods=["GET", "POST", "PUT", "DELETE"])
async def proxy(
    request: Request,
    settings: SettingsDep,
    bases: OwnBases,
    target_header: TargetHeader = None,
    target_query: TargetQuery = None,
) -> Response:
    target = resolve(target_header or target_query, bases)
    authorization = request.headers.get("authorization")
    if authorization is None and settings.proxy_key is not None:
        authorization = f"Key {settings.proxy_key.get_secret_value()}"
    body = await request.body()
    scope = sub_scope(request.scope, target, body, authorization)
    return Relayed(request.app, scope, body, cors="origin" in request.headers)


@router.options(PROXY_PATH)
async def preflight(request: Request) -> Response:
    """CORS preflight: a browser page may call the proxy from another origin."""
    asked = request.headers.get("access-control-request-headers", "*")
    headers = {
        **CORS_HEADERS,
        "access-control-allow-methods": "GET, POST, PUT, DELETE, OPTIONS",
        "access-control-allow-headers": asked,
        "access-control-max-age": "600",
    }
    return Response(status_code=204, headers=headers)
