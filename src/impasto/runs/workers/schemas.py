"""Bodies of the worker API (``/worker/v1``): what a remote worker agent sends and gets."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from impasto.runs.queue.completion import Result

# Ids travel into log lines and the lease column (128 characters) as
# "<key_id>/<worker_id>": 36 + 1 + 64 fit, and without a "/" of its own a worker id
# cannot spell a lease held under another key.
WORKER_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
REQUEST_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,35}$"
APP_ID = r"^[^/\s]{1,127}/[^/\s]{1,127}$"
MAX_LONG_POLL_SECONDS = 30.0
MAX_CLAIM = 256
MAX_EVENTS = 1000
MAX_HEARTBEAT_IDS = 10_000

WorkerId = Annotated[str, Field(pattern=WORKER_ID)]
RequestId = Annotated[str, Field(pattern=REQUEST_ID)]
AppId = Annotated[str, Field(pattern=APP_ID)]
Attempt = Annotated[int, Field(ge=1, le=1000)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WorkerInfo(BaseModel):
    version: str
    lease_seconds: float


class AppList(BaseModel):
    apps: list[dict[str, Any]]


class ClaimWant(_Body):
    app_id: AppId
    limit: Annotated[int, Field(ge=0, le=MAX_CLAIM)]


class ClaimBody(_Body):
    worker_id: WorkerId
    apps: Annotated[list[ClaimWant], Field(max_length=1000)]
    wait: Annotated[float, Field(ge=0, le=MAX_LONG_POLL_SECONDS)] = 0.0


class ClaimList(BaseModel):
    claims: list[dict[str, Any]]


class HeartbeatBody(_Body):
    worker_id: WorkerId
    request_ids: Annotated[list[RequestId], Field(max_length=MAX_HEARTBEAT_IDS)]


class BeatAnswer(BaseModel):
    cancel: list[str]
    lost: list[str]


class EventItem(_Body):
    kind: Annotated[str, Field(pattern=r"^(log|progress|partial)$")]
    data: Any = None


class ReportBody(_Body):
    worker_id: WorkerId
    attempt: Attempt
    events: Annotated[list[EventItem], Field(max_length=MAX_EVENTS)]


class ResultBody(_Body):
    status_code: Annotated[int, Field(ge=100, le=599)]
    body: Any = None
    error: str | None = None
    error_type: Annotated[str | None, Field(max_length=64)] = None
    headers: dict[str, str] | None = None
    inference_time: Annotated[float | None, Field(ge=0)] = None

    def to_result(self) -> Result:
        return Result(
            status_code=self.status_code,
            body=self.body,
            error=self.error,
            error_type=self.error_type,
            headers=self.headers,
            inference_time=self.inference_time,
        )


class OutcomeBody(_Body):
    worker_id: WorkerId
    attempt: Attempt
    result: ResultBody


class Accepted(BaseModel):
    """False: the worker no longer holds this attempt, and what it sent was dropped."""

    accepted: bool


class LoadedBody(_Body):
    worker_id: WorkerId
    app_id: AppId
    loaded: bool


class StoredFile(BaseModel):
    url: str


def result_json(result: Result) -> dict[str, Any]:
    """A ``Result`` as the worker sends it (the inverse of ``ResultBody.to_result``)."""
    return {
        "status_code": result.status_code,
        "body": result.body,
        "error": result.error,
        "error_type": result.error_type,
        "headers": dict(result.headers) if result.headers is not None else None,
        "inference_time": result.inference_time,
    }


RunnerCategory = Literal[
    "runner_started",
    "runner_failed",
    "runner_finished",
    "runner_pending",
    "runner_startup_failure",
    "runner_setup",
    "runner_draining",
    "runner_stopping",
]
Count = Annotated[int, Field(ge=0, le=100_000)]
PayloadText = Annotated[str, Field(max_length=1000)]


class RunnerPayload(_Body):
    job_id: PayloadText | None = None
    machine_type: PayloadText | None = None
    reason: PayloadText | None = None
    state: PayloadText | None = None


class ActivityEvent(_Body):
    app_id: AppId
    category: RunnerCategory
    payload: RunnerPayload


class ActivitySample(_Body):
    app_id: AppId
    running: Count
    idle: Count
    pending: Count
    draining: Count


class ActivityBody(_Body):
    """Runner lifecycle events and runner counts of the apps this worker serves."""

    worker_id: WorkerId
    events: Annotated[list[ActivityEvent], Field(max_length=MAX_EVENTS)] = []
    samples: Annotated[list[ActivitySample], Field(max_length=MAX_EVENTS)] = []
