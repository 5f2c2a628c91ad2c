"""FastAPI dependencies that turn ``Authorization: Key id:secret`` into a Principal.

Declared through ``APIKeyHeader`` so that the OpenAPI document carries fal's two security
schemes, ``apiKey`` and ``adminApiKey``. Every authenticated request also spends a token
from its key's rate-limit bucket: tenant keys from ``rate_limiter``, the operator's WORKER
keys from ``worker_rate_limiter`` (a worker makes several calls per request it runs, and
must neither wait behind nor eat into the tenants' limit).
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader
from starlette.requests import HTTPConnection

from impasto.deps import CLOCK, DATABASE, IDS
from impasto.keys.deps import SESSIONS, TENANT_LIMITER, WORKER_LIMITER
from impasto.keys.service import KeyService, Principal
from impasto.kit.errors import PermissionDenied, RateLimited, Unauthenticated
from impasto.kit.http.surfaces import Surface, surface_for
from impasto.kit.ratelimit import RateLimiter
from impasto.models import KeyScope

_api_key = APIKeyHeader(
    name="Authorization",
    scheme_name="apiKey",
    description='API key must be prefixed with "Key ", e.g. Authorization: Key YOUR_API_KEY',
    auto_error=False,
)
_admin_key = APIKeyHeader(
    name="Authorization",
    scheme_name="adminApiKey",
    description='Admin API key must be prefixed with "Key ", '
    "e.g. Authorization: Key YOUR_ADMIN_API_KEY",
    auto_error=False,
)

MISSING_KEY = "Missing credentials: send 'Authorization: Key <key_id>:<key_secret>'"


def authenticate(request: Request, header: str | None, required: KeyScope) -> Principal:
    if not header:
        raise Unauthenticated(MISSING_KEY)
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() == "session" and value.strip():
        # The studio's cookie, put here by its middleware once the CSRF token matched.
        principal = SESSIONS.get(request).principal(value.strip())
    else:
        if scheme.lower() == "basic" and surface_for(request.url.path) is Surface.SCENARIO:
            value = _basic_credential(value)  # Scenario's clients: -u key_id:key_secret
        elif scheme.lower() != "key" or not value.strip():
            raise Unauthenticated(MISSING_KEY)
        principal = key_principal(request, value.strip())
    limiter = WORKER_LIMITER if principal.scope is KeyScope.WORKER else TENANT_LIMITER
    wait = limiter.get(request).acquire(principal.key_id)
    if wait > 0:
        raise RateLimited(
            "Rate limit exceeded", headers={"Retry-After": RateLimiter.retry_after_header(wait)}
        )
    if not principal.allows(required):
        raise PermissionDenied(_refusal(principal.scope, required))
    return principal


def key_principal(connection: HTTPConnection, credential: str) -> Principal:
    """Who ``key_id:secret`` stands for, checked in a read transaction of its own; no rate
    limit spent (``authenticate`` spends it)."""
    with DATABASE.get(connection).session(write=False) as session:
        return KeyService(session, CLOCK.get(connection), IDS.get(connection)).authenticate(
            credential
        )


def _refusal(scope: KeyScope, required: KeyScope) -> str:
    if required is KeyScope.WORKER:
        return (
            "The worker API needs a WORKER key (`impasto workers token create` on the "
            "server); API and ADMIN keys are refused here"
        )
    if scope is KeyScope.WORKER:
        return "A WORKER key serves the worker API (/worker/v1) only"
    return f"This operation needs a key with {required.value} scope"


def _basic_credential(value: str) -> str:
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise Unauthenticated("Invalid API key") from exc
    if ":" not in decoded:
        raise Unauthenticated("Invalid API key")
    return decoded


def _require_api(request: Request, header: Annotated[str | None, Depends(_api_key)]) -> Principal:
    return authenticate(request, header, KeyScope.API)


def _require_admin(
    request: Request, header: Annotated[str | None, Depends(_admin_key)]
) -> Principal:
    return authenticate(request, header, KeyScope.ADMIN)


def _require_worker(
    request: Request, header: Annotated[str | None, Depends(_api_key)]
) -> Principal:
    return authenticate(request, header, KeyScope.WORKER)


def _optional_api(
    request: Request, header: Annotated[str | None, Depends(_api_key)]
) -> Principal | None:
    return authenticate(request, header, KeyScope.API) if header else None


ApiPrincipal = Annotated[Principal, Depends(_require_api)]
AdminPrincipal = Annotated[Principal, Depends(_require_admin)]
OptionalPrincipal = Annotated[Principal | None, Depends(_optional_api)]
# The worker API only (not in the Platform document): the operator's WORKER keys.
WorkerPrincipal = Annotated[Principal, Depends(_require_worker)]
