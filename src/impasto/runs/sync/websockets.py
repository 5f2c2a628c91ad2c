"""WebSockets: HTTP-over-WebSocket (§3.3), realtime msgpack (§3.4) and their tokens (§3.5).

Every message runs as a request of the durable queue, like any other call; a socket that
closes cancels what it still waits for.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass
from typing import Annotated, Any

import msgpack
from fastapi import APIRouter, Body, WebSocket, WebSocketDisconnect
from starlette.datastructures import Headers

from impasto.deps import BaseUrl
from impasto.keys.auth import ApiPrincipal, key_principal
from impasto.keys.service import Principal
from impasto.kit.errors import AppError, PermissionDenied, Unauthenticated
from impasto.kit.http.bodies import BoundedRoute
from impasto.models import KeyScope
from impasto.runs.queue.deps import Watch
from impasto.runs.queue.endpoints import caller_of
from impasto.runs.queue.options import parse_options
from impasto.runs.queue.service import Caller
from impasto.runs.queue.watch import Watcher
from impasto.runs.sync import tokens as realtime_tokens
from impasto.runs.sync.deps import RealtimeTokens, RealtimeTokensDep
from impasto.sdk.validation import too_deep_detail

router = APIRouter(route_class=BoundedRoute, include_in_schema=False)
REALTIME_SUFFIX = "/realtime"
POLICY_VIOLATION = 1008


@router.post("/rest/tokens")
@router.post("/rest/tokens/")
def realtime_token(
    principal: ApiPrincipal,
    realtime: RealtimeTokensDep,
    allowed_apps: Annotated[list[str], Body()],
    token_expiration: Annotated[int, Body()] = 120,
) -> str:
    asked = realtime_tokens.TokenRequest(allowed_apps, token_expiration)
    return realtime.issue(principal, asked)


@router.websocket("/ws/{endpoint:path}")
async def ws(
    websocket: WebSocket,
    endpoint: str,
    watcher: Watch,
    base: BaseUrl,
    realtime: RealtimeTokensDep,
) -> None:
    if endpoint.rstrip("/").endswith(REALTIME_SUFFIX):
        await _realtime(websocket, endpoint, _Runs(watcher, base), realtime)
    else:
        await _http_over_ws(websocket, endpoint, _Runs(watcher, base))


@router.websocket("/run/{endpoint:path}")
async def run_realtime(
    websocket: WebSocket,
    endpoint: str,
    watcher: Watch,
    base: BaseUrl,
    realtime: RealtimeTokensDep,
) -> None:
    await _realtime(websocket, endpoint, _Runs(watcher, base), realtime)


@dataclass(frozen=True, slots=True)
class _Runs:
    """How a socket submits requests and waits on them, and where their URLs point."""

    watcher: Watcher
    base: str


class _Session:
    """What one socket needs to run requests: who calls, and how to submit and wait."""

    def __init__(self, websocket: WebSocket, principal: Principal, runs: _Runs) -> None:
        self.caller: Caller = caller_of(principal)
        self.watcher = runs.watcher
        self.base = runs.base
        self.options = parse_options(websocket.headers, websocket.query_params)

    async def run(self, endpoint: str, payload: Any, mode: str) -> tuple[int, Any, str | None]:
        """(status, body, request id) of one message, errors included."""
        try:
            record = await self.watcher.write(
                lambda s: s.submit(
                    self.caller, endpoint, payload, self.options, mode=mode, base_url=self.base
                )
            )
        except AppError as error:
            return _error_status(error), _error_body(error), None
        try:
            done = await self.watcher.completed(record.request_id)
        except asyncio.CancelledError:
            await asyncio.shield(
                self.watcher.write(lambda s: s.cancel(self.caller, record.request_id))
            )
            raise
        assert done is not None
        return done.result_status or 200, done.output, record.request_id


async def _http_over_ws(websocket: WebSocket, endpoint: str, runs: _Runs) -> None:
    try:
        principal = _key_principal(websocket)
    except AppError as error:
        await websocket.close(code=POLICY_VIOLATION, reason=error.message[:120])
        return
    await websocket.accept()
    session = _Session(websocket, principal, runs)
    lock = asyncio.Lock()
    pending: set[asyncio.Task[None]] = set()

    async def answer(text: str) -> None:
        started = time.monotonic()
        body: Any
        try:
            payload = json.loads(text)
        except ValueError:
            status, body, request_id = 400, {"detail": "The message is not valid JSON"}, None
        except RecursionError:  # deeper than Python's json goes: far past the input limit
            status, body, request_id = 422, {"detail": too_deep_detail()}, None
        else:
            status, body, request_id = await session.run(endpoint, payload, "ws")
        async with lock:
            await websocket.send_json(
                {"type": "start", "request_id": request_id, "status": status, "headers": {}}
            )
            await websocket.send_text(json.dumps(body, separators=(",", ":")))
            await websocket.send_json(
                {
                    "type": "end",
                    "request_id": request_id,
                    "status": status,
                    "time_to_first_byte_seconds": round(time.monotonic() - started, 6),
                }
            )

    try:
        while True:
            task = asyncio.create_task(answer(await websocket.receive_text()))
            pending.add(task)
            task.add_done_callback(pending.discard)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


async def _realtime(
    websocket: WebSocket, endpoint: str, runs: _Runs, realtime: RealtimeTokens
) -> None:
    endpoint = endpoint.rstrip("/")
    await websocket.accept()
    try:
        principal = _realtime_principal(websocket, endpoint, realtime)
    except AppError as error:
        await _send_error(websocket, "UNAUTHORIZED", error.message)
        await websocket.close(code=POLICY_VIOLATION)
        return
    session = _Session(websocket, principal, runs)
    target = endpoint.removesuffix(REALTIME_SUFFIX)
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            raw = message.get("bytes")
            if raw is None:
                continue  # text frames from clients carry nothing to run
            try:
                payload = msgpack.unpackb(raw, raw=False)
            except (ValueError, RecursionError, msgpack.UnpackException) as exc:
                await _send_error(websocket, "BAD_REQUEST", f"not a msgpack message: {exc}")
                continue
            status, body, _ = await session.run(target, payload, "realtime")
            if status >= 400:
                code = "INTERNAL_ERROR" if status >= 500 else "BAD_REQUEST"
                await _send_error(websocket, code, json.dumps(body, separators=(",", ":")))
                continue
            await websocket.send_bytes(msgpack.packb(body, use_bin_type=True))
    except (WebSocketDisconnect, RuntimeError):
        return


def _key_principal(websocket: WebSocket) -> Principal:
    header = Headers(scope=websocket.scope).get("authorization", "")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "key" or not value.strip():
        raise Unauthenticated("Missing credentials: send 'Authorization: Key <key>'")
    principal = key_principal(websocket, value.strip())
    if not principal.allows(KeyScope.API):  # a WORKER key is no tenant
        raise PermissionDenied("A WORKER key serves the worker API (/worker/v1) only")
    return principal


def _realtime_principal(websocket: WebSocket, endpoint: str, realtime: RealtimeTokens) -> Principal:
    token = websocket.query_params.get("fal_jwt_token")
    if token is None:
        return _key_principal(websocket)
    parts = [part for part in endpoint.split("/") if part]
    alias = parts[1] if len(parts) > 1 else ""
    return realtime.check(token, alias)


async def _send_error(websocket: WebSocket, code: str, reason: str) -> None:
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await websocket.send_json({"type": "x-fal-error", "error": code, "reason": reason})


def _error_status(error: AppError) -> int:
    return int(getattr(error, "run_status_code", error.status_code))


def _error_body(error: AppError) -> dict[str, Any]:
    if error.detail is not None:
        return {"detail": error.detail}
    return {"detail": error.message, "error_type": error.run_type}
