"""Wire shapes of fal's Serverless operations, field for field."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from impasto.keys.schemas import iso_z
from impasto.models import AppEvent, DeployedApp
from impasto.serverless.service import Bucket, RevisionView

MACHINE_TYPE = "impasto-worker"  # any worker that serves the app; no machine classes here


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServerlessApp(_Strict):
    endpoint_id: str = Field(description="Canonical endpoint identifier ('<owner>/<name>')")
    name: str
    owner: str
    environment: str
    machine_type: str
    auth_mode: Literal["private", "public", "shared"]
    keep_alive: float
    min_concurrency: float
    max_concurrency: float
    request_timeout: float
    startup_timeout: float
    valid_regions: list[str]
    updated_at: str
    endpoints: list[str] | None = Field(
        default=None, description="Route-level endpoint ids (only with expand=endpoints)"
    )


class ServerlessApps(_Strict):
    apps: list[ServerlessApp]


class Revision(_Strict):
    revision_id: str
    created_at: str
    is_current: bool
    message: str | None
    annotations: dict[str, str] | None
    status: Literal["deployed", "failed", "deploying"] | None
    deployed_by: str | None


class Revisions(_Strict):
    next_cursor: str | None
    has_more: bool
    endpoint_id: str
    revisions: list[Revision]


class Event(_Strict):
    event_id: str
    category: str
    created_at: str
    payload: dict[str, Any]


class Events(_Strict):
    next_cursor: str | None
    has_more: bool
    endpoint_id: str
    events: list[Event]


class HistoryBucket(_Strict):
    timestamp: str
    running: float
    idle: float
    pending: float
    draining: float


class RunnerHistory(_Strict):
    endpoint_id: str
    timeframe: Literal["minute", "hour", "day", "week", "month"]
    aggregation: Literal["max", "avg"]
    history: list[HistoryBucket]


def serverless_app(app: DeployedApp, mode: str, endpoints: list[str] | None) -> ServerlessApp:
    settings = app.manifest.get("settings") or {}
    return ServerlessApp(
        endpoint_id=app.app_id,
        name=app.name,
        owner=app.owner,
        environment="main",
        machine_type=MACHINE_TYPE,
        auth_mode="public" if mode == "public" else "private",
        keep_alive=float(settings.get("keep_alive", 0)),
        min_concurrency=float(settings.get("min_concurrency", 0)),
        max_concurrency=float(settings.get("max_concurrency", 1)),
        request_timeout=float(settings.get("request_timeout", 0)),
        startup_timeout=float(settings.get("startup_timeout", 0)),
        valid_regions=[],
        updated_at=iso_z(app.updated_at),
        endpoints=endpoints,
    )


def revision(view: RevisionView) -> Revision:
    return Revision(
        revision_id=view.revision.revision_id,
        created_at=iso_z(view.revision.created_at),
        is_current=view.is_current,
        message=None,
        annotations=None,
        status="deployed" if view.status == "deployed" else None,
        deployed_by=view.deployed_by,
    )


def event(row: AppEvent) -> Event:
    return Event(
        event_id=row.event_id,
        category=row.category,
        created_at=iso_z(row.created_at),
        payload=dict(row.payload),
    )


def bucket(row: Bucket) -> HistoryBucket:
    return HistoryBucket(
        timestamp=iso_z(row.timestamp),
        running=row.running,
        idle=row.idle,
        pending=row.pending,
        draining=row.draining,
    )
