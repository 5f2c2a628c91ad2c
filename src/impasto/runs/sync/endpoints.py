"""fal's synchronous run (§3.1) and its SSE streaming (§3.2) under ``/run``.

Both go through the durable queue like any other request, so a sync call gets the same
retries, records, logs and popularity; the handler only waits. A caller that hangs up
before the answer cancels its request.

fal's clients read every SSE event's ``data`` as output, whatever its name, and raise only
on an HTTP error status or a broken connection. So a stream waits for its first event
before it answers: a request that fails before any partial output answers its error status
and body, exactly as ``/run`` would. One that fails later sends its error body as an
``event: error`` and then breaks the connection (the chunked body never ends), so each
client raises after the events it has seen.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import StreamingResponse
from starlette.types import Send

from impasto.deps import BaseUrl
from impasto.keys.auth import ApiPrincipal
from impasto.kit.errors import NotFound
from impasto.kit.http.bodies import BoundedRoute
from impasto.models import RequestRecord
from impasto.runs.queue.deps import Watch
from impasto.runs.queue.endpoints import caller_of
from impasto.runs.queue.options import parse_options
from impasto.runs.queue.service import PARTIAL_KIND, Caller
from impasto.runs.queue.watch import RECHECK_SECONDS, Watcher
from impasto.runs.queue.wire import result_response, sse

router = APIRouter(route_class=BoundedRoute, include_in_schema=False)
STREAM_SUFFIX = "/stream"


@router.post("/run/{endpoint:path}")
async def run(
    endpoint: str,
    request: Request,
    principal: ApiPrincipal,
    watcher: Watch,
    base: BaseUrl,
    payload: Annotated[Any, Body()] = None,
) -> Response:
    options = parse_options(request.headers, request.query_params)
    caller = caller_of(principal)
    streaming = "text/event-stream" in request.headers.get("accept", "")
    try:
        record = await watcher.write(
            lambda s: s.submit(caller, endpoint, payload, options, mode="sync", base_url=base)
        )
    except NotFound:
        # ``{app-id}/stream`` streams the endpoint ``{app-id}`` (fal's client adds it).
        if not endpoint.rstrip("/").endswith(STREAM_SUFFIX):
            raise
        endpoint = endpoint.rstrip("/").removesuffix(STREAM_SUFFIX)
        record = await watcher.write(
            lambda s: s.submit(caller, endpoint, payload, options, mode="stream", base_url=base)
        )
        streaming = True
    if streaming:
        return await _stream_response(watcher, caller, record.request_id, request.is_disconnected)
    done = await watcher.completed(record.request_id, request.is_disconnected)
    if done is None:
        await watcher.write(lambda s: s.cancel(caller, record.request_id))
        return Response(status_code=499)
    return result_response(done)


async def _stream_response(
    watcher: Watcher, caller: Caller, request_id: str, gone: Callable[[], Awaitable[bool]]
) -> Response:
    """The SSE answer once its first event is known; the error itself if that is a failure."""
    chunks = _stream(watcher, caller, request_id)
    first = asyncio.ensure_future(anext(chunks))
    try:
        while not (await asyncio.wait({first}, timeout=RECHECK_SECONDS))[0]:
            if await gone():
                await _cancel(first)
                return Response(status_code=499)
    except asyncio.CancelledError:
        await asyncio.shield(_cancel(first))
        raise
    item = first.result()
    if isinstance(item, _Failed):
        await chunks.aclose()
        return result_response(item.record)
    return _EventStream(
        _then(item, chunks),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "x-fal-request-id": request_id},
    )


async def _cancel(first: asyncio.Future[Any]) -> None:
    """Stop waiting for the first event: ``_stream``'s finally cancels the request."""
    first.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await first


@dataclass(frozen=True, slots=True)
class _Failed:
    """The request failed before any partial output: answer its error, not a stream."""

    record: RequestRecord


class _Broken(Exception):
    """The request failed mid-stream: its error event is sent, the stream must not end."""


class _EventStream(StreamingResponse):
    async def stream_response(self, send: Send) -> None:
        with contextlib.suppress(_Broken):  # no final chunk: the client sees a broken body
            await super().stream_response(send)


async def _then(first: bytes, rest: AsyncIterator[bytes | _Failed]) -> AsyncIterator[bytes]:
    yield first
    async for chunk in rest:
        assert isinstance(chunk, bytes)  # only a stream's first item is ever ``_Failed``
        yield chunk


async def _stream(
    watcher: Watcher, caller: Caller, request_id: str
) -> AsyncGenerator[bytes | _Failed, None]:
    """Each partial output as one SSE event; an endpoint that yields none sends its
    result as the one event. A failure before any event is ``_Failed``; a later one is
    sent as an ``error`` event, then ``_Broken`` ends the stream without finishing it."""
    sent = 0
    finished = False
    try:
        async for step in watcher.progress(request_id, [PARTIAL_KIND]):
            for event in step.events:
                sent += 1
                yield sse(event.data.get("output"))
            record = step.record
            if record.status != "COMPLETED":
                continue
            failed = record.result_status is not None and record.result_status >= 400
            finished = True
            if failed and sent == 0:
                yield _Failed(record)
            elif failed:
                yield sse(record.output, event="error")
                raise _Broken
            elif sent == 0:
                yield sse(record.output)
        finished = True
    finally:
        if not finished:  # the caller hung up mid-stream
            task = asyncio.ensure_future(watcher.write(lambda s: s.cancel(caller, request_id)))
            _pending.add(task)
            task.add_done_callback(_pending.discard)


_pending: set[asyncio.Future[str]] = set()
