"""What happened to apps and how many runners they had: app events and runner samples.

Deploys write their events here in the deploying transaction; workers send runner
lifecycle events and a per-minute count of each app's runners by state
(``WorkerLink.app_activity``). Both are kept ``RETENTION`` long.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal, get_args

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from impasto.kit.clock import Clock
from impasto.kit.ids import IdGenerator
from impasto.models import AppEvent, RunnerSample

RETENTION = timedelta(days=90)
# fal's app event categories (serverlessListAppEvents).
EventCategory = Literal[
    "runner_started",
    "runner_failed",
    "runner_finished",
    "runner_pending",
    "runner_startup_failure",
    "runner_docker_pull",
    "runner_setup",
    "runner_draining",
    "runner_stopping",
    "deployment_started",
    "deployment_failed",
    "deployment_ended",
    "deployment_rolling_started",
    "deployment_rolling_failed",
    "deployment_rolling_ended",
    "deployment_recreate_applied",
    "config_changed",
]
CATEGORIES: Final = get_args(EventCategory)
# What a worker may report: runner transitions, never deploys or configuration.
RUNNER_CATEGORIES: Final = frozenset(c for c in CATEGORIES if c.startswith("runner_"))
RUNNER_PAYLOAD_KEYS: Final = frozenset({"job_id", "machine_type", "reason", "state"})


@dataclass(frozen=True)
class Sample:
    app_id: str
    running: int
    idle: int
    pending: int
    draining: int


class AppActivity:
    def __init__(self, session: Session, clock: Clock, ids: IdGenerator) -> None:
        self._session = session
        self._clock = clock
        self._ids = ids

    def record(self, app_id: str, category: str, payload: dict[str, Any]) -> None:
        self._session.add(
            AppEvent(
                event_id=self._ids.new(),
                app_id=app_id,
                category=category,
                payload=payload,
                created_at=self._clock.now(),
            )
        )

    def events(
        self,
        app_id: str,
        *,
        start: datetime,
        end: datetime,
        categories: Sequence[str] | None,
        limit: int,
        after: tuple[datetime, str] | None,
    ) -> list[AppEvent]:
        """Newest first, ``start <= created_at < end``, after a keyset position."""
        query = select(AppEvent).where(
            AppEvent.app_id == app_id, AppEvent.created_at >= start, AppEvent.created_at < end
        )
        if categories:
            query = query.where(AppEvent.category.in_(categories))
        if after is not None:
            at, event_id = after
            query = query.where(
                or_(
                    AppEvent.created_at < at,
                    and_(AppEvent.created_at == at, AppEvent.event_id < event_id),
                )
            )
        query = query.order_by(AppEvent.created_at.desc(), AppEvent.event_id.desc())
        return list(self._session.scalars(query.limit(limit)))

    def add_samples(self, worker: str, samples: Sequence[Sample]) -> None:
        now = self._clock.now()
        for sample in samples:
            self._session.add(
                RunnerSample(
                    sample_id=self._ids.new(),
                    app_id=sample.app_id,
                    worker=worker,
                    sampled_at=now,
                    running=sample.running,
                    idle=sample.idle,
                    pending=sample.pending,
                    draining=sample.draining,
                )
            )

    def samples(self, app_id: str, start: datetime, end: datetime) -> list[RunnerSample]:
        query = (
            select(RunnerSample)
            .where(
                RunnerSample.app_id == app_id,
                RunnerSample.sampled_at >= start,
                RunnerSample.sampled_at < end,
            )
            .order_by(RunnerSample.sampled_at)
        )
        return list(self._session.scalars(query))

    def prune(self) -> int:
        """Forget what is older than ``RETENTION``; the count of rows removed."""
        before = self._clock.now() - RETENTION
        removed = 0
        for table, column in (
            (AppEvent, AppEvent.created_at),
            (RunnerSample, RunnerSample.sampled_at),
        ):
            result = self._session.execute(delete(table).where(column < before))
            removed += int(getattr(result, "rowcount", 0) or 0)
        return removed
