"""An app's queue on the Platform API: its size, and flushing it.

Only the app's owner, or the operator with an ADMIN key, may look at or flush a queue;
anyone else gets 404, as for an app that does not exist. Flushing completes every queued
request as cancelled through ``complete``, so webhooks fire and waiters wake exactly as
for a single cancel; requests already running are not affected.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from impasto.kit.errors import NotFound
from impasto.kit.text import is_storable
from impasto.models import DeployedApp
from impasto.runs.deployments.repository import DeploymentRepository
from impasto.runs.queue.completion import cancelled_result, complete
from impasto.runs.queue.service import RunDeps
from impasto.runs.records.repository import RecordRepository

FLUSH_BATCH = 200


@dataclass(frozen=True)
class QueueCaller:
    owner: str
    admin: bool


class AppNotFound(NotFound):
    def __init__(self, app_id: str) -> None:
        super().__init__(f"Application {app_id} not found")


class AppQueueService:
    def __init__(self, session: Session, deps: RunDeps) -> None:
        self._session = session
        self._deps = deps
        self._records = RecordRepository(session)

    def size(self, caller: QueueCaller, owner: str, name: str) -> int:
        app = self._app(caller, owner, name)
        return self._records.queue_size(app.app_id)

    def flush(self, caller: QueueCaller, owner: str, name: str) -> int:
        """Cancel every queued request of the app; returns how many were cancelled."""
        app = self._app(caller, owner, name)
        now = self._deps.clock.now()
        cancelled = 0
        while True:
            batch = self._records.queued_for_flush(app.app_id, FLUSH_BATCH)
            for record in batch:
                complete(
                    self._session,
                    record,
                    cancelled_result(),
                    now,
                    self._deps.hooks,
                    self._deps.notifier,
                )
            cancelled += len(batch)
            if len(batch) < FLUSH_BATCH:
                return cancelled

    def _app(self, caller: QueueCaller, owner: str, name: str) -> DeployedApp:
        app_id = f"{owner}/{name}"
        app = None
        if len(app_id) <= 255 and is_storable(app_id):
            app = DeploymentRepository(self._session).get(app_id)
        operator = caller.admin and caller.owner == self._deps.operator
        if app is None or (app.owner != caller.owner and not operator):
            raise AppNotFound(app_id)
        return app
