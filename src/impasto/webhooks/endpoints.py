"""The JWKS that receivers verify webhook signatures with (public, like fal's)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from impasto.kit.http.bodies import BoundedRoute
from impasto.webhooks.deps import SigningKeysDep

router = APIRouter(route_class=BoundedRoute, tags=["Webhooks"], include_in_schema=False)

# Receivers may cache up to 24 h; an hour keeps a rotation visible soon after it happens.
CACHE_CONTROL = "public, max-age=3600"


@router.get("/.well-known/jwks.json")
@router.get("/rest/.well-known/jwks.json")
def jwks(keys: SigningKeysDep) -> JSONResponse:
    document: dict[str, Any] = keys.jwks()
    return JSONResponse(document, headers={"Cache-Control": CACHE_CONTROL})
