"""WebSockets: HTTP-over-WebSocket (§3.3), realtime msgpack (§3.4) and their tokens (§3.5).

Every message runs as a request of the durable queue, like any other call; a socket that
closes cancels what it still waits for. Both protocols are served on both URL layouts
(``/ws/{app}`` and fal's ``/run/{app}``, ``/realtime`` suffix or not), with a key header or
a realtime token, since ``fal_client.ws_connect`` and ``realtime`` dial whichever the
client's URL constants name. Output file URLs point at the server over http(s).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Coroutine
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
@router.websocket("/run/{endpoint:path}")
async def ws(
    websocket: WebSocket,
    endpoint: str,
    watcher: Watch,
    base: BaseUrl,
    realtime: RealtimeTokensDep,
) -> None:
    """One socket on either layout the clients dial (``/ws/…`` or fal's ``/run/…``): binary
    frames are realtime msgpack messages, text frames HTTP-over-WebSocket JSON requests."""
    await _serve(websocket, endpoint.rstrip("/"), _Runs(watcher, http_base(base)), realtime)


def http_base(base: str) -> str:
    """The http(s) base of a socket's ws(s) one: file URLs are fetched over HTTP."""
    scheme, sep, rest = base.partition("://")
    return {"ws": "http", "wss": "https"}.get(scheme.lower(), scheme) + sep + rest


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


async def _serve(
    websocket: WebSocket, endpoint: str, runs: _Runs, realtime: RealtimeTokens
) -> None:
    is_realtime = endpoint.endswith(REALTIME_SUFFIX)
    if is_realtime:  # realtime clients read the refusal as an x-fal-error frame
        await websocket.accept()
    try:
        principal = _principal(websocket, endpoint, realtime)
    except AppError as error:
        if is_realtime:
            await _send_error(websocket, "UNAUTHORIZED", error.message)
            await websocket.close(code=POLICY_VIOLATION)
        else:  # the handshake is refused (HTTP 403), with the reason
            await websocket.close(code=POLICY_VIOLATION, reason=error.message[:120])
        return
    if not is_realtime:
        await websocket.accept()
    await _Socket(websocket, _Session(websocket, principal, runs), endpoint).serve()


MAX_PENDING = 64  # messages of one socket waiting or running at once


class _Socket:
    """Answers one socket's frames: text ones concurrently, binary ones in their order."""

    def __init__(self, websocket: WebSocket, session: _Session, endpoint: str) -> None:
        self.websocket = websocket
        self.session = session
        self.target = endpoint.removesuffix(REALTIME_SUFFIX)
        self.lock = asyncio.Lock()
        # Back-pressure: past MAX_PENDING messages in flight the socket stops reading.
        self.inbox: asyncio.Queue[bytes] = asyncio.Queue(maxsize=MAX_PENDING)
        self.tasks: set[asyncio.Task[None]] = set()

    async def serve(self) -> None:
        self._spawn(self._realtime_loop())
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                if (raw := message.get("bytes")) is not None:
                    await self.inbox.put(raw)
                elif (text := message.get("text")) is not None:
                    while len(self.tasks) > MAX_PENDING:  # the realtime loop is one of them
                        await asyncio.wait(self.tasks, return_when=asyncio.FIRST_COMPLETED)
                    self._spawn(self._http_answer(text))
        except (WebSocketDisconnect, RuntimeError):
            return
        finally:  # what the socket still waits for is cancelled with it
            for task in self.tasks:
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(self._quietly(work))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    @staticmethod
    async def _quietly(work: Coroutine[Any, Any, None]) -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):  # the socket is gone
            await work

    async def _http_answer(self, text: str) -> None:
        """§3.3: start, body and end frames for one JSON request."""
        started = time.monotonic()
        body: Any
        try:
            payload = json.loads(text)
        except ValueError:
            status, body, request_id = 400, {"detail": "The message is not valid JSON"}, None
        except RecursionError:  # deeper than Python's json goes: far past the input limit
            status, body, request_id = 422, {"detail": too_deep_detail()}, None
        else:
            status, body, request_id = await self.session.run(self.target, payload, "ws")
        async with self.lock:
            await self.websocket.send_json(
                {"type": "start", "request_id": request_id, "status": status, "headers": {}}
            )
            await self.websocket.send_text(json.dumps(body, separators=(",", ":")))
            await self.websocket.send_json(
                {
                    "type": "end",
                    "request_id": request_id,
                    "status": status,
                    "time_to_first_byte_seconds": round(time.monotonic() - started, 6),
                }
            )

    async def _realtime_loop(self) -> None:
        """§3.4: each msgpack message's result, or an x-fal-error frame, in order."""
        while True:
            raw = await self.inbox.get()
            try:
                payload = msgpack.unpackb(raw, raw=False)
            except (ValueError, RecursionError, msgpack.UnpackException) as exc:
                await self._send_error("BAD_REQUEST", f"not a msgpack message: {exc}")
                continue
            status, body, _ = await self.session.run(self.target, payload, "realtime")
            if status >= 400:
                code = "INTERNAL_ERROR" if status >= 500 else "BAD_REQUEST"
                await self._send_error(code, json.dumps(body, separators=(",", ":")))
                continue
            async with self.lock:
                await self.websocket.send_bytes(msgpack.packb(body, use_bin_type=True))

    async def _send_error(self, code: str, reason: str) -> None:
        async with self.lock:
            await _send_error(self.websocket, code, reason)


def _key_principal(websocket: WebSocket) -> Principal:
    header = Headers(scope=websocket.scope).get("authorization", "")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "key" or not value.strip():
        raise Unauthenticated("Missing credentials: send 'Authorization: Key <key>'")
    principal = key_principal(websocket, value.strip())
    if not principal.allows(KeyScope.API):  # a WORKER key is no tenant
        raise PermissionDenied("A WORKER key serves the worker API (/worker/v1) only")
    return principal


def _principal(websocket: WebSocket, endpoint: str, realtime: RealtimeTokens) -> Principal:
    """A realtime token (``fal_jwt_token``, for the app it names) or a key header."""
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
