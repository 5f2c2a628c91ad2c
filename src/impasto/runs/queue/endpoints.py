"""fal's queue API under ``/queue``: submit, status, status stream, result, cancel (§2).

These paths are fal's inference surface, not the Platform API, so they stay out of
``/v1/openapi.json``; each model's own queue document comes from ``expand=openapi-3.0``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from impasto.deps import ContainerDep, WriteSession
from impasto.files.cdn.responses import base_url
from impasto.keys.auth import ApiPrincipal
from impasto.keys.service import Principal
from impasto.kit.errors import InvalidRequest, NotFound
from impasto.kit.http.bodies import BoundedRoute
from impasto.runs.queue.options import parse_options
from impasto.runs.queue.paths import RequestPath, parse_request_path, queue_urls
from impasto.runs.queue.service import Caller, RequestNotFound, RunService
from impasto.runs.queue.watch import Watcher
from impasto.runs.queue.wire import SSE_PING, result_response, sse, status_body, status_code_of

router = APIRouter(route_class=BoundedRoute, include_in_schema=False)
PING_SECONDS = 15.0
CANCEL_CODES = {"CANCELLATION_REQUESTED": 202, "ALREADY_COMPLETED": 400}
LogsFlag = Annotated[str | None, Query()]


def caller_of(principal: Principal) -> Caller:
    return Caller(owner=principal.owner, key_id=principal.key_id)


def wants_logs(value: str | None) -> bool:
    """fal's clients send logs=true|false (Python) or 1|0 (JS, the SDK)."""
    if value is None:
        return False
    word = value.strip().lower()
    if word in {"1", "true"}:
        return True
    if word in {"0", "false", ""}:
        return False
    raise InvalidRequest("logs must be one of 1, 0, true, false")


@router.post("/queue/{endpoint:path}")
def submit(
    endpoint: str,
    request: Request,
    principal: ApiPrincipal,
    session: WriteSession,
    container: ContainerDep,
    payload: Annotated[Any, Body()] = None,
) -> JSONResponse:
    options = parse_options(request.headers, request.query_params)
    base = base_url(request, container.settings.public_url)
    service = RunService(session, container.runs)
    record = service.submit(
        caller_of(principal), endpoint, payload, options, mode="queue", base_url=base
    )
    position = service.status(caller_of(principal), record.request_id, with_logs=False)
    body = {
        "request_id": record.request_id,
        **queue_urls(base, record.app_id, record.request_id),
        "status": record.status,
        "queue_position": position.queue_position or 0,
    }
    if record.webhook_url is not None:
        body["gateway_request_id"] = record.request_id
    return JSONResponse(body, headers={"x-fal-request-id": record.request_id})


@router.get("/queue/{path:path}")
async def read(
    path: str,
    request: Request,
    principal: ApiPrincipal,
    container: ContainerDep,
    logs: LogsFlag = None,
) -> Response:
    target = _request_path(path, {"status", "stream", "result"})
    caller = caller_of(principal)
    watcher = Watcher(container.database, container.runs)
    base = base_url(request, container.settings.public_url)
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
def cancel(
    path: str, principal: ApiPrincipal, session: WriteSession, container: ContainerDep
) -> JSONResponse:
    target = _request_path(path, {"cancel"})
    service = RunService(session, container.runs)
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
