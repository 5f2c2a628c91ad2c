"""One place that turns any failure into the caller's surface's error body."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match

from impasto.kit.diskspace import OUT_OF_SPACE, is_disk_full
from impasto.kit.errors import (
    AppError,
    InsufficientStorage,
    RequestValidationFailed,
    Unauthenticated,
    error_for_status,
)
from impasto.kit.http.surfaces import Surface, surface_for
from impasto.kit.logging import get_logger

REQUEST_ID_HEADER = "x-fal-request-id"
MISSING_KEY = "Missing credentials: send 'Authorization: Key <key_id>:<key_secret>'"
ERROR_TYPE_HEADER = "X-Fal-Error-Type"
_log = get_logger(__name__)


def render_error(path: str, error: AppError, request_id: str | None) -> JSONResponse:
    headers = dict(error.headers)
    surface = surface_for(path)
    if surface is Surface.SCENARIO:
        # Scenario's body; validation failures are 400 there, as every other bad input.
        return JSONResponse(
            {"apiError": error.run_type, "message": error.message},
            status_code=error.status_code,
            headers=headers,
        )
    if surface is Surface.PLATFORM:
        body: dict[str, Any] = {"type": error.platform_type, "message": error.message}
        if request_id:
            body["request_id"] = request_id
        return JSONResponse({"error": body}, status_code=error.status_code, headers=headers)
    headers[ERROR_TYPE_HEADER] = error.run_type
    if isinstance(error, RequestValidationFailed) and error.detail is not None:
        return JSONResponse(
            {"detail": error.detail}, status_code=error.run_status_code, headers=headers
        )
    return JSONResponse(
        {"detail": error.message, "error_type": error.run_type},
        status_code=error.status_code,
        headers=headers,
    )


def validation_error(errors: Sequence[Any]) -> RequestValidationFailed:
    """FastAPI/pydantic errors -> fal's ``detail`` list plus a one-line summary."""
    detail: list[dict[str, Any]] = []
    for raw in errors:
        item = {k: raw[k] for k in ("loc", "msg", "type", "input", "ctx", "url") if k in raw}
        if item.get("type") == "json_invalid" and isinstance(item.get("ctx"), dict):
            # FastAPI says only "JSON decode error"; the parser's reason is what helps.
            item["msg"] = f"{item.get('msg', 'JSON decode error')}: {item['ctx'].get('error')}"
        detail.append(jsonable_encoder(item, custom_encoder={Exception: str, bytes: _bytes}))
    summary = "; ".join(
        f"{'.'.join(str(part) for part in item.get('loc', ()))}: {item.get('msg', 'invalid')}"
        for item in detail[:5]
    )
    return RequestValidationFailed(summary or "Invalid request", detail=detail)


def _bytes(value: bytes) -> str:
    return value.decode("utf-8", errors="replace")


def install_error_handlers(app: FastAPI) -> None:
    async def on_app_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AppError)
        return render_error(request.url.path, exc, _request_id(request))

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        error = validation_error(exc.errors())
        return render_error(request.url.path, error, _request_id(request))

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        message = exc.detail if isinstance(exc.detail, str) else "Request failed"
        path = request.url.path
        if exc.status_code == 404 and message == "Not Found":
            if surface_for(path) is Surface.PLATFORM and "authorization" not in request.headers:
                # No route, no key: saying which paths exist is for callers who have one.
                return render_error(path, Unauthenticated(MISSING_KEY), _request_id(request))
            message = f"Path {path} not found"
        error = error_for_status(exc.status_code, message)
        error.headers.update(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names only the first route that matched the path; several routes
            # may share it, one per method.
            error.headers["Allow"] = ", ".join(allowed_methods(request.app.routes, request))
        return render_error(path, error, _request_id(request))

    async def on_disk_full(request: Request, exc: Exception) -> JSONResponse:
        # A full disk anywhere (a file write, SQLite's SQLITE_FULL, PostgreSQL's 53100) is
        # the server's passing condition: 507 with a retry hint, not an opaque 500.
        if not is_disk_full(exc):
            raise exc  # the last-resort handler in middleware.py answers 500
        _log.error("disk_full", path=request.url.path, error=str(exc)[:300])
        error = InsufficientStorage(OUT_OF_SPACE)
        return render_error(request.url.path, error, _request_id(request))

    app.add_exception_handler(AppError, on_app_error)
    app.add_exception_handler(OSError, on_disk_full)
    app.add_exception_handler(DBAPIError, on_disk_full)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(routes: Sequence[BaseRoute], request: Request) -> list[str]:
    """Every method some route serves at the request's path: each is tried against the
    routes as a request of that method (included routers answer ``matches`` too)."""
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in routes):
            allowed.append(method)
    return allowed


def _request_id(request: Request) -> str | None:
    value = request.scope.get("state", {}).get("request_id")
    return value if isinstance(value, str) else None
