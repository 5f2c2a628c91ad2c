"""The API side of the queue: submit, status, result, cancel, and events for streams."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from impasto.catalog.service import CatalogService
from impasto.kit.clock import Clock
from impasto.kit.errors import InvalidRequest, NotFound, PermissionDenied, RateLimited
from impasto.kit.ids import IdGenerator
from impasto.models import RequestRecord, RunEvent
from impasto.runs.deployments.service import DeploymentService, Target
from impasto.runs.queue.completion import (
    CompletionHook,
    cancelled_result,
    complete,
    notify_after_commit,
)
from impasto.runs.queue.metrics import QueueMetrics
from impasto.runs.queue.notifier import CANCEL_TOPIC, WORK_TOPIC, Notifier, app_topic
from impasto.runs.queue.options import SubmitOptions
from impasto.runs.queue.repository import COMPLETED, IN_PROGRESS, IN_QUEUE, RunRepository
from impasto.runs.queue.submission import NewRequest
from impasto.sdk.validation import MAX_INPUT_BYTES, check_payload
from impasto.teams import access as model_access

LOG_KIND = "log"
PROGRESS_KIND = "progress"
PARTIAL_KIND = "partial"


class RequestNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("Request not found")


class StillRunning(InvalidRequest):
    def __init__(self) -> None:
        super().__init__("Request is still in progress")


@dataclass(frozen=True)
class QueuePolicy:
    max_attempts: int
    lease_seconds: float
    max_input_bytes: int = MAX_INPUT_BYTES
    """The largest input as JSON: never more than the HTTP JSON body limit, so that every
    surface (HTTP, WebSocket, realtime) accepts the same inputs."""


@dataclass(frozen=True)
class Caller:
    owner: str
    key_id: str | None = None


class Orchestrator(Protocol):
    """Runs the endpoints of a namespace (``workflows/...``) as requests of other endpoints:
    it submits and cancels its own runs; no worker ever claims them."""

    def submit(
        self,
        session: Session,
        caller: Caller,
        endpoint_path: str,
        payload: Any,
        options: SubmitOptions,
        *,
        mode: str,
        base_url: str,
    ) -> Submitted: ...

    def cancel(self, session: Session, record: RequestRecord) -> None: ...


@dataclass
class RunDeps:
    """What the run services need beyond the session; built once by the container."""

    clock: Clock
    ids: IdGenerator
    notifier: Notifier
    policy: QueuePolicy
    operator: str
    metrics: QueueMetrics  # also one of ``hooks`` (``on_completed``): see container.py
    hooks: list[CompletionHook] = field(default_factory=list)
    check_webhook_url: Callable[[str], str] | None = None
    # Namespace -> who runs its endpoints (the container adds workflows').
    orchestrators: dict[str, Orchestrator] = field(default_factory=dict)

    def webhook_of(self, options: SubmitOptions) -> str | None:
        """The submit's ``fal_webhook``, checked as a URL this server may call."""
        url = options.webhook_url
        if url is not None and self.check_webhook_url is not None:
            return self.check_webhook_url(url)
        return url


@dataclass(frozen=True, slots=True)
class Submitted:
    """What a submit answers with: the new request's id, the queue it waits in (app and
    priority, for its position) and its webhook."""

    request_id: str
    app_id: str
    priority: int
    webhook_url: str | None
    status: str = IN_QUEUE


@dataclass(frozen=True)
class StatusView:
    record: RequestRecord
    queue_position: int | None
    logs: list[dict[str, Any]] | None


class RunService:
    def __init__(self, session: Session, deps: RunDeps) -> None:
        self._session = session
        self._deps = deps
        self._repo = RunRepository(session)

    def submit(
        self,
        caller: Caller,
        endpoint_path: str,
        payload: Any,
        options: SubmitOptions,
        *,
        mode: str,
        base_url: str,
    ) -> Submitted:
        """Queue a new request; it exists, whatever crashes, once the caller commits."""
        orchestrator = self._orchestrator(endpoint_path)
        if orchestrator is not None:
            return orchestrator.submit(
                self._session, caller, endpoint_path, payload, options, mode=mode, base_url=base_url
            )
        target = self.target(caller, endpoint_path)
        check_payload(
            target.endpoint.input_schema, payload, max_bytes=self._deps.policy.max_input_bytes
        )
        limit = options.max_queue_length
        if limit is not None and self._repo.waiting(target.endpoint_id) >= limit:
            raise QueueFull(target.endpoint_id)
        webhook = self._deps.webhook_of(options)
        now = self._deps.clock.now()
        deadline = None
        if options.start_timeout is not None:
            deadline = now + timedelta(seconds=options.start_timeout)
        request = NewRequest(
            request_id=self._deps.ids.new(),
            owner=caller.owner,
            key_id=caller.key_id,
            endpoint_id=target.endpoint_id,
            app_id=target.app.app_id,
            path=target.endpoint.path,
            mode=mode,
            priority=options.priority,
            input=payload,
            headers=options.forwarded,
            store_io=options.store_io,
            base_url=base_url,
            runner_hint=options.runner_hint,
            webhook_url=webhook,
            start_deadline=deadline,
            max_attempts=1 if options.no_retry else self._deps.policy.max_attempts,
            created_at=now,
        )
        self._repo.insert(request)
        notify_after_commit(self._session, self._deps.notifier, app_topic(request.app_id))
        notify_after_commit(self._session, self._deps.notifier, WORK_TOPIC)
        return Submitted(
            request_id=request.request_id,
            app_id=request.app_id,
            priority=request.priority,
            webhook_url=request.webhook_url,
        )

    def queue_position(self, submitted: Submitted) -> int:
        """Requests of the same app that will be claimed before one just submitted."""
        return self._repo.queue_position(submitted.app_id, submitted.priority, submitted.request_id)

    def get(self, caller: Caller, request_id: str) -> RequestRecord:
        """The caller's own request; another owner's answers 404 like an unknown id."""
        record = self._repo.get(request_id) if _plausible_id(request_id) else None
        if record is None or record.owner != caller.owner:
            raise RequestNotFound()
        return record

    def status(self, caller: Caller, request_id: str, *, with_logs: bool) -> StatusView:
        record = self.get(caller, request_id)
        position = (
            self._repo.queue_position(record.app_id, record.priority, record.request_id)
            if record.status == IN_QUEUE
            else None
        )
        logs = self.logs(record.request_id) if with_logs else None
        return StatusView(record=record, queue_position=position, logs=logs)

    def result(self, caller: Caller, request_id: str) -> RequestRecord:
        record = self.get(caller, request_id)
        if record.status != COMPLETED:
            raise StillRunning()
        return record

    def cancel(self, caller: Caller, request_id: str) -> str:
        """fal's answer: CANCELLATION_REQUESTED, or ALREADY_COMPLETED."""
        record = self._repo.get_for_update(request_id) if _plausible_id(request_id) else None
        if record is None or record.owner != caller.owner:
            raise RequestNotFound()
        if record.status == COMPLETED:
            return "ALREADY_COMPLETED"
        orchestrator = self._orchestrator(record.app_id)
        if record.status == IN_PROGRESS and orchestrator is not None:
            orchestrator.cancel(self._session, record)
        elif record.status == IN_QUEUE:
            complete(
                self._session,
                record,
                cancelled_result(),
                self._deps.clock.now(),
                self._deps.hooks,
                self._deps.notifier,
            )
        elif not record.cancel_requested:
            record.cancel_requested = True
            self._repo.flush()
            notify_after_commit(self._session, self._deps.notifier, CANCEL_TOPIC)
        return "CANCELLATION_REQUESTED"

    def logs(self, request_id: str) -> list[dict[str, Any]]:
        return [event.data for event in self._repo.events(request_id, kinds=[LOG_KIND])]

    def events_after(
        self, request_id: str, after: int, kinds: Sequence[str] | None = None
    ) -> list[RunEvent]:
        return self._repo.events(request_id, after=after, kinds=kinds)

    def refresh(self, request_id: str) -> RequestRecord:
        record = self._repo.get(request_id)
        if record is None:
            raise RequestNotFound()
        return record

    def _orchestrator(self, endpoint_path: str) -> Orchestrator | None:
        orchestrators = self._deps.orchestrators
        if not orchestrators:
            return None
        return orchestrators.get(endpoint_path.lstrip("/").split("/", 1)[0])

    def target(self, caller: Caller, endpoint_path: str) -> Target:
        """Where ``endpoint_path`` runs, if ``caller`` may call it; else 404."""
        registry = DeploymentService(self._session, self._deps.clock, operator=self._deps.operator)
        target = registry.resolve(endpoint_path)
        catalog = CatalogService(self._session, self._deps.clock, operator=self._deps.operator)
        if not catalog.may_call(caller.owner, target.endpoint_id):
            # A private app of another owner is as invisible here as in the catalog.
            raise NotFound(f"Application {target.app.app_id} not found")
        if not model_access.allows(self._session, caller.owner, target.endpoint_id):
            raise PermissionDenied(
                f"{target.endpoint_id} is blocked for {caller.owner} by its organization's "
                "model access controls"
            )
        return target


class QueueFull(RateLimited):
    def __init__(self, endpoint_id: str) -> None:
        super().__init__(f"Queue of {endpoint_id} is full (fal_max_queue_length)")


def _plausible_id(request_id: str) -> bool:
    return 0 < len(request_id) <= 36 and request_id.isprintable()
