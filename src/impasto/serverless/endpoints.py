"""fal's Serverless operations on apps: ``GET /v1/serverless/apps``, an app's
``revisions``, ``events`` and ``runners/history``, and ``GET /v1/serverless/metrics``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BeforeValidator

from impasto.deps import ClockDep, CursorsDep
from impasto.keys.auth import ApiPrincipal
from impasto.kit.clock import Clock
from impasto.kit.comma_lists import split_comma_lists
from impasto.kit.http.bodies import BoundedRoute
from impasto.kit.http.openapi import ERROR_RESPONSES
from impasto.runs.deployments.activity import EventCategory
from impasto.runs.deployments.service import endpoint_ids_of
from impasto.serverless.deps import ReadServerless
from impasto.serverless.schemas import (
    Events,
    Revisions,
    RunnerHistory,
    ServerlessApps,
    bucket,
    event,
    revision,
    serverless_app,
)
from impasto.serverless.service import Aggregation
from impasto.usage.params import End, Start
from impasto.usage.window import Timeframe, Window, resolve

router = APIRouter(
    route_class=BoundedRoute,
    prefix="/v1/serverless",
    tags=["Serverless", "Apps"],
    responses=ERROR_RESPONSES,
)

OwnerPath = Annotated[str, Path(max_length=63, description="Username of the app owner")]
NamePath = Annotated[str, Path(max_length=127, description="Application name")]
Cursor = Annotated[
    str | None, Query(max_length=1024, description="Pagination cursor from previous response")
]
Texts = Annotated[list[str] | None, BeforeValidator(split_comma_lists)]


@router.get("/apps", operation_id="serverlessListApps", summary="List serverless apps")
def list_apps(
    principal: ApiPrincipal,
    service: ReadServerless,
    environment: Annotated[
        str | None, Query(max_length=64, description="Environment; only `main` here")
    ] = None,
    search: Annotated[
        str | None, Query(max_length=127, description="Substring of the app name")
    ] = None,
    expand: Annotated[Texts, Query(description="`endpoints`: each app's endpoint ids")] = None,
) -> ServerlessApps:
    """The caller's apps with their scaling settings and auth mode; Impasto has one
    environment, `main`."""
    if environment not in (None, "main"):
        return ServerlessApps(apps=[])
    with_endpoints = "endpoints" in (expand or [])
    return ServerlessApps(
        apps=[
            serverless_app(
                app,
                service.auth_mode(app),
                endpoint_ids_of(app) if with_endpoints else None,
            )
            for app in service.apps(principal.owner, search)
        ]
    )


@router.get(
    "/apps/{owner}/{name}/revisions",
    operation_id="serverlessListAppRevisions",
    summary="List app revisions",
    response_model_exclude_none=False,
)
def list_revisions(
    owner: OwnerPath,
    name: NamePath,
    principal: ApiPrincipal,
    service: ReadServerless,
    cursors: CursorsDep,
    limit: Annotated[int, Query(ge=1, le=100, description="Revisions per page")] = 50,
    cursor: Cursor = None,
) -> Revisions:
    """Every deploy of the app (`impasto deploy`), newest first; `status` and
    `deployed_by` come from the last 30 days of deployment events."""
    app = service.app(principal.owner, owner, name)
    page = service.revisions(app, limit, cursor, cursors)
    return Revisions(
        next_cursor=page.next_cursor,
        has_more=page.next_cursor is not None,
        endpoint_id=app.app_id,
        revisions=[revision(view) for view in page.items],
    )


@router.get(
    "/apps/{owner}/{name}/events",
    operation_id="serverlessListAppEvents",
    summary="List app events",
)
def list_events(
    owner: OwnerPath,
    name: NamePath,
    principal: ApiPrincipal,
    service: ReadServerless,
    cursors: CursorsDep,
    clock: ClockDep,
    start: Start = None,
    end: End = None,
    category: Annotated[
        list[EventCategory] | None,
        BeforeValidator(split_comma_lists),
        Query(description="Event categories, repeated or comma-separated"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Events per page")] = 50,
    cursor: Cursor = None,
) -> Events:
    """Deploys, configuration changes and runner lifecycle events (started, failed,
    finished, draining, startup failures as workers report them), newest first; the last
    24 hours unless `start`/`end` say otherwise."""
    app = service.app(principal.owner, owner, name)
    window = _window(start, end, None, clock)
    page = service.events(app, window, category, limit, cursor, cursors)
    return Events(
        next_cursor=page.next_cursor,
        has_more=page.next_cursor is not None,
        endpoint_id=app.app_id,
        events=[event(row) for row in page.items],
    )


@router.get(
    "/apps/{owner}/{name}/runners/history",
    operation_id="serverlessGetRunnerHistory",
    summary="Runner state history",
)
def runner_history(
    owner: OwnerPath,
    name: NamePath,
    principal: ApiPrincipal,
    service: ReadServerless,
    clock: ClockDep,
    start: Start = None,
    end: End = None,
    timeframe: Annotated[
        Timeframe | None, Query(description="Bucket size (auto-detected from the range)")
    ] = None,
    aggregation: Annotated[
        Aggregation, Query(description="`max`: peak per bucket; `avg`: mean per bucket")
    ] = "max",
) -> RunnerHistory:
    """Runner counts by state (running, idle, pending, draining) per bucket, oldest
    first, from the per-minute counts workers send; at most 90 days."""
    app = service.app(principal.owner, owner, name)
    window = _window(start, end, timeframe, clock)
    return RunnerHistory(
        endpoint_id=app.app_id,
        timeframe=window.timeframe,
        aggregation=aggregation,
        history=[bucket(row) for row in service.runner_history(app, window, aggregation)],
    )


@router.get(
    "/metrics",
    operation_id="serverlessGetMetrics",
    summary="Prometheus metrics of your apps",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(principal: ApiPrincipal, service: ReadServerless) -> Response:
    """Per app of the caller: requests by status and result code, and runners by state
    at the workers' last count, in Prometheus' text format."""
    return Response(
        service.metrics(principal.owner), media_type="text/plain; version=0.0.4; charset=utf-8"
    )


def _window(
    start: str | None, end: str | None, timeframe: Timeframe | None, clock: Clock
) -> Window:
    """fal's range: UTC, the last 24 hours unless given."""
    return resolve(
        start=start,
        end=end,
        timezone=None,
        timeframe=timeframe,
        bound_to_timeframe=False,
        now=clock.now(),
    )
