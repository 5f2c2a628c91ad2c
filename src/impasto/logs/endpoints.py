"""fal's log operations: history (newest first, paged) and a live stream (SSE)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from fastapi.responses import StreamingResponse

from impasto.deps import ClockDep, CursorsDep, DatabaseDep
from impasto.keys.auth import ApiPrincipal
from impasto.kit.errors import InvalidRequest
from impasto.kit.http.bodies import BoundedRoute
from impasto.kit.http.openapi import ERROR_RESPONSES
from impasto.kit.threads import in_session
from impasto.logs.deps import ReadLogs
from impasto.logs.query import LogQuery, conditions_from, levels_from
from impasto.logs.schemas import LogCondition, LogPage
from impasto.logs.service import LogService
from impasto.usage.params import Cursor, End, Start, ids
from impasto.usage.window import moment, zone

router = APIRouter(
    route_class=BoundedRoute,
    prefix="/v1/serverless/logs",
    tags=["Serverless", "Logs"],
    responses=ERROR_RESPONSES,
)

DEFAULT_SPAN = timedelta(hours=24)
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
POLL_SECONDS = 0.5
PING_SECONDS = 15.0
SSE_PING = b": ping\n\n"

AppIds = Annotated[
    list[str] | None,
    Query(description="App id(s), owner/name, 1-50, comma-separated or repeated"),
]
Revision = Annotated[
    str | None, Query(max_length=64, description="Lines of requests served by this revision")
]
RunSource = Annotated[
    Literal["grpc-run", "grpc-register", "gateway", "cron"] | None,
    Query(description="Every line here comes from a request through the gateway"),
]
Traceback = Annotated[
    bool | None, Query(description="Accepted; tracebacks are part of their lines here")
]
Search = Annotated[
    str | None, Query(max_length=256, description="Lines containing this text (any case)")
]
Level = Annotated[
    str | None,
    Query(
        max_length=16,
        description="Minimum level: debug, info, warn, error (a level no line has matches none)",
    ),
]
JobId = Annotated[
    str | None, Query(max_length=128, description="Runner jobs are not recorded: matches nothing")
]
RequestId = Annotated[str | None, Query(max_length=36, description="Lines of one request")]
Conditions = Annotated[
    list[LogCondition] | None,
    Body(
        description="Conditions on a line's fields (level, source, request_id, endpoint_id, "
        "app) or labels; all must hold"
    ),
]


def _query(
    owner: str,
    now: datetime,
    *,
    start: str | None,
    end: str | None,
    app_id: list[str] | None,
    revision: str | None,
    run_source: str | None,
    level: str | None,
    search: str | None,
    job_id: str | None,
    request_id: str | None,
    body: list[LogCondition] | None,
    default_end: datetime,
) -> LogQuery:
    utc = zone("UTC")
    until = moment(end, "end", utc) if end is not None else default_end
    since = moment(start, "start", utc) if start is not None else now - DEFAULT_SPAN
    if since >= until:
        raise InvalidRequest("start must be before end")
    # Filters on what these lines never carry match nothing, rather than being refused.
    nothing = (run_source not in (None, "gateway")) or job_id is not None
    return LogQuery(
        owner=owner,
        start=since,
        end=until,
        app_ids=ids(app_id, "app_id"),
        request_id=request_id,
        levels=levels_from(level),
        search=search.strip() if search and search.strip() else None,
        conditions=conditions_from(body),
        matches_nothing=nothing,
        revision=revision,
    )


@router.post(
    "/history",
    operation_id="serverlessLogsHistory",
    summary="Logs history",
    response_model=LogPage,
)
def logs_history(
    principal: ApiPrincipal,
    logs: ReadLogs,
    clock: ClockDep,
    body: Conditions = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Lines per page")] = 100,
    cursor: Cursor = None,
    start: Start = None,
    end: End = None,
    app_id: AppIds = None,
    revision: Revision = None,
    run_source: RunSource = None,
    traceback: Traceback = False,
    search: Search = None,
    level: Level = None,
    job_id: JobId = None,
    request_id: RequestId = None,
) -> LogPage:
    """Log lines of the caller's requests, newest first: `start`/`end` bound when they were
    written (default: the last 24 hours), `level` is a minimum, `search` a substring, the
    body's conditions test fields or labels. `cursor` is the `next_cursor` of the previous
    page, or a timestamp to read lines before (fal's form)."""
    now = clock.now()
    query = _query(
        principal.owner, now, start=start, end=end, app_id=app_id, revision=revision,
        run_source=run_source, level=level, search=search, job_id=job_id,
        request_id=request_id, body=body, default_end=now + timedelta(microseconds=1),
    )  # fmt: skip
    before = None
    if cursor is not None:
        before = _as_timestamp(cursor) or logs.read_cursor(query, cursor)
    return logs.history(query, before, limit)


@router.post(
    "/stream",
    operation_id="serverlessLogsStream",
    summary="Stream logs",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def logs_stream(
    principal: ApiPrincipal,
    database: DatabaseDep,
    clock: ClockDep,
    cursors: CursorsDep,
    body: Conditions = None,
    start: Start = None,
    end: End = None,
    app_id: AppIds = None,
    revision: Revision = None,
    run_source: RunSource = None,
    traceback: Traceback = False,
    search: Search = None,
    level: Level = None,
    job_id: JobId = None,
    request_id: RequestId = None,
) -> StreamingResponse:
    """Server-sent events, one `data:` line per log line (the history's item), oldest first:
    the lines since `start` (default: 24 hours ago), then new ones as they are written,
    until `end` passes (default: until the client leaves). A `: ping` comment keeps an idle
    stream open."""
    now = clock.now()
    query = _query(
        principal.owner, now, start=start, end=end, app_id=app_id, revision=revision,
        run_source=run_source, level=level, search=search, job_id=job_id,
        request_id=request_id, body=body, default_end=FAR_FUTURE,
    )  # fmt: skip

    async def read(seq: int) -> tuple[list[Any], int]:
        return await in_session(
            database, lambda s: LogService(s, clock, cursors).since(query, seq), write=False
        )

    async def events() -> AsyncIterator[bytes]:
        seq, idle = 0, 0.0
        while True:
            lines, seq = await read(seq)
            for _, line in lines:
                yield f"data: {line.model_dump_json()}\n\n".encode()
            if lines:
                idle = 0.0
                continue
            if clock.now() >= query.end:
                return
            if idle >= PING_SECONDS:
                idle = 0.0
                yield SSE_PING
            await asyncio.sleep(POLL_SECONDS)
            idle += POLL_SECONDS

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )


def _as_timestamp(cursor: str) -> tuple[datetime, int] | None:
    """fal's cursor: the timestamp to read before."""
    try:
        at = datetime.fromisoformat(cursor)
    except ValueError:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC), 0
