"""fal's queue API under ``/queue``: submit, status, status stream, result, cancel (§2).

These paths are fal's inference surface, not the Platform API, so they stay out of
``/v1/openapi.json``; each model's own queue document comes from ``expand=openapi-3.0``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from impasto.deps import BaseUrl
from impasto.keys.auth import ApiPrincipal
from impasto.keys.service import Principal
from impasto.kit.errors import NotFound
from impasto.kit.http.bodies import BoundedRoute
from impasto.kit.http.flags import parse_flag
from impasto.runs.queue.deps import Watch, WriteRuns
from impasto.runs.queue.options import parse_options
from impasto.runs.queue.paths import RequestPath, parse_request_path, queue_urls
from impasto.runs.queue.service import Caller, RequestNotFound
from impasto.runs.queue.wire import SSE_PING, result_response, sse, status_body, status_code_of

router = APIRouter(route_class=BoundedRoute, include_in_schema=False)
PING_SECONDS = 15.0
CANCEL_CODES = {"CANCELLATION_REQUESTED": 202, "ALREADY_COMPLETED": 400}
LogsFlag = Annotated[str | None, Query()]


def caller_of(principal: Principal) -> Caller:
    return Caller(owner=principal.owner, key_id=principal.key_id)


def wants_logs(value: str | None) -> bool:
    """fal's clients send logs=true|false (Python) or 1|0 (JS, the SDK)."""
    return parse_flag(
        value,
        default=False,
        true={"1", "true"},
        false={"0", "false", ""},
        error="logs must be one of 1, 0, true, false",
    )


@router.post("/queue/{endpoint:path}")
def submit(
    endpoint: str,
    request: Request,
    principal: ApiPrincipal,
    service: WriteRuns,
    base: BaseUrl,
    payload: Annotated[Any, Body()] = None,
) -> JSONResponse:
    options = parse_options(request.headers, request.query_params)
    submitted = service.submit(
        caller_of(principal), endpoint, payload, options, mode="queue", base_url=base
    )
    body = {
        "request_id": submitted.request_id,
        **queue_urls(base, submitted.app_id, submitted.request_id),
        "status": submitted.status,
        "queue_position": service.queue_position(submitted),
    }
    if submitted.webhook_url is not None:
        body["gateway_request_id"] = submitted.request_id
    return JSONResponse(body, headers={"x-fal-request-id": submitted.request_id})


@router.get("/queue/{path:path}")
async def read(
    path: str,
    principal: ApiPrincipal,
    watcher: Watch,
    base: BaseUrl,
    logs: LogsFlag = None,
) -> Response:
    target = _request_path(path, {"status", "stream", "result"})
    caller = caller_of(principal)
    with_logs = wants_logs(logs)
    if target.action == "result":
        record = await watcher.read(lambda s: s.result(caller, target.request_id))
        _check_app(record.app_id, target)
        return result_response(record)
    view = await watcher.read(lambda s: s.status(caller, target.request_id, with_logs=with_logs))
    _check_app(view.record.app_id, target)
    if target.action == "status":
        return JSONResponse(
            status_body(view, base),
            status_code=status_code_of(view.record),
            headers={"x-fal-request-id": view.record.request_id},
        )

    async def events() -> AsyncIterator[bytes]:
        async for item in watcher.statuses(
            caller, target.request_id, with_logs=with_logs, ping_seconds=PING_SECONDS
        ):
            yield SSE_PING if item is None else sse(status_body(item, base))

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "x-fal-request-id": target.request_id},
    )


@router.put("/queue/{path:path}")
def cancel(path: str, principal: ApiPrincipal, service: WriteRuns) -> JSONResponse:
    target = _request_path(path, {"cancel"})
    _check_app(service.get(caller_of(principal), target.request_id).app_id, target)
    outcome = service.cancel(caller_of(principal), target.request_id)
    return JSONResponse(
        {"status": outcome},
        status_code=CANCEL_CODES[outcome],
        headers={"x-fal-request-id": target.request_id},
    )


def _request_path(path: str, actions: set[str]) -> RequestPath:
    parsed = parse_request_path(path)
    if parsed is None or parsed.action not in actions:
        raise NotFound(f"Path /queue/{path} not found")
    return parsed


def _check_app(app_id: str, target: RequestPath) -> None:
    """A request is named under its own app only, as fal's URLs do."""
    if app_id != target.app_id:
        raise RequestNotFound()
