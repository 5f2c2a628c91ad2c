"""fal's synchronous run (§3.1) and its SSE streaming (§3.2) under ``/run``.

Both go through the durable queue like any other request, so a sync call gets the same
retries, records, logs and popularity; the handler only waits. A caller that hangs up
before the answer cancels its request.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import StreamingResponse

from impasto.deps import BaseUrl
from impasto.keys.auth import ApiPrincipal
from impasto.kit.errors import NotFound
from impasto.kit.http.bodies import BoundedRoute
from impasto.runs.queue.deps import Watch
from impasto.runs.queue.endpoints import caller_of
from impasto.runs.queue.options import parse_options
from impasto.runs.queue.service import PARTIAL_KIND, Caller
from impasto.runs.queue.watch import Watcher
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
        return StreamingResponse(
            _stream(watcher, caller, record.request_id),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "x-fal-request-id": record.request_id},
        )
    done = await watcher.completed(record.request_id, request.is_disconnected)
    if done is None:
        await watcher.write(lambda s: s.cancel(caller, record.request_id))
        return Response(status_code=499)
    return result_response(done)


async def _stream(watcher: Watcher, caller: Caller, request_id: str) -> AsyncIterator[bytes]:
    """Each partial output as one SSE event; an endpoint that yields none sends its
    result as the one event. A failure is sent as its error body, then the stream ends."""
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
            if (record.result_status is not None and record.result_status >= 400) or sent == 0:
                yield sse(record.output)
        finished = True
    finally:
        if not finished:  # the caller hung up mid-stream
            task = asyncio.ensure_future(watcher.write(lambda s: s.cancel(caller, request_id)))
            _pending.add(task)
            task.add_done_callback(_pending.discard)


_pending: set[asyncio.Future[str]] = set()
