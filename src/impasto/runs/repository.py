"""SQL for the queue: requests, their events and deployed apps.

The claim and the lease checks are single statements, so two workers can never hold the
same attempt: on PostgreSQL the claim skips rows another transaction has locked
(``FOR UPDATE SKIP LOCKED``); on SQLite the one writer connection serialises claims.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, and_, func, or_, select, update
from sqlalchemy.orm import Session

from impasto.models import DeployedApp, RequestRecord, RunEvent

CLAIM_COLUMNS = (
    "request_id",
    "app_id",
    "endpoint_id",
    "path",
    "input",
    "attempts",
    "headers",
    "runner_hint",
    "owner",
    "base_url",
    "priority",
)
IN_QUEUE = "IN_QUEUE"
IN_PROGRESS = "IN_PROGRESS"
COMPLETED = "COMPLETED"


class RunRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._postgres = session.get_bind().dialect.name == "postgresql"

    # requests

    def add(self, record: RequestRecord) -> None:
        self.session.add(record)
        self.session.flush()

    def get(self, request_id: str) -> RequestRecord | None:
        return self.session.get(RequestRecord, request_id)

    def get_for_update(self, request_id: str) -> RequestRecord | None:
        stmt = select(RequestRecord).where(RequestRecord.request_id == request_id)
        if self._postgres:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).one_or_none()

    def queue_position(self, record: RequestRecord) -> int:
        """Requests of the same app that will be claimed before this one."""
        ahead = or_(
            RequestRecord.priority < record.priority,
            and_(
                RequestRecord.priority == record.priority,
                RequestRecord.request_id < record.request_id,
            ),
        )
        stmt = select(func.count()).where(
            RequestRecord.app_id == record.app_id, RequestRecord.status == IN_QUEUE, ahead
        )
        return int(self.session.scalar(stmt) or 0)

    def waiting(self, endpoint_id: str) -> int:
        stmt = select(func.count()).where(
            RequestRecord.endpoint_id == endpoint_id, RequestRecord.status == IN_QUEUE
        )
        return int(self.session.scalar(stmt) or 0)

    def expired_starts(self, now: datetime, app_ids: Sequence[str] | None = None) -> list[str]:
        """Queued requests whose X-Fal-Request-Timeout deadline has passed."""
        stmt = select(RequestRecord.request_id).where(
            RequestRecord.status == IN_QUEUE, RequestRecord.start_deadline < now
        )
        if app_ids is not None:
            stmt = stmt.where(RequestRecord.app_id.in_(app_ids))
        return list(self.session.scalars(stmt.limit(500)))

    def claim(
        self, app_id: str, worker: str, limit: int, now: datetime, lease_until: datetime
    ) -> list[Row[Any]]:
        """Move up to ``limit`` of the app's oldest queued requests to IN_PROGRESS.

        One ``UPDATE ... WHERE id IN (pick) RETURNING`` in Core: the claim is the queue's
        hot path, and one statement is a third of the round trips of select-update-select.
        """
        table = RequestRecord.__table__
        assert isinstance(table, Table)
        pick = (
            select(table.c.request_id)
            .where(
                table.c.app_id == app_id,
                table.c.status == IN_QUEUE,
                or_(table.c.start_deadline.is_(None), table.c.start_deadline >= now),
            )
            .order_by(table.c.priority, table.c.request_id)
            .limit(limit)
        )
        if self._postgres:
            pick = pick.with_for_update(skip_locked=True)
        claimed = (
            update(table)
            .where(table.c.request_id.in_(pick.scalar_subquery()))
            .values(
                status=IN_PROGRESS,
                lease_owner=worker,
                lease_expires_at=lease_until,
                attempts=table.c.attempts + 1,
                started_at=func.coalesce(table.c.started_at, now),
            )
            .returning(*(table.c[name] for name in CLAIM_COLUMNS))
        )
        rows = list(self.session.connection().execute(claimed))
        return sorted(rows, key=lambda row: (row.priority, row.request_id))

    def has_queued(self, app_id: str) -> bool:
        stmt = select(RequestRecord.request_id).where(
            RequestRecord.app_id == app_id, RequestRecord.status == IN_QUEUE
        )
        return self.session.scalar(stmt.limit(1)) is not None

    def held(self, worker: str, request_ids: Sequence[str]) -> list[RequestRecord]:
        if not request_ids:
            return []
        stmt = select(RequestRecord).where(
            RequestRecord.request_id.in_(request_ids),
            RequestRecord.lease_owner == worker,
            RequestRecord.status == IN_PROGRESS,
        )
        return list(self.session.scalars(stmt))

    def renew(self, worker: str, request_ids: Sequence[str], lease_until: datetime) -> None:
        if request_ids:
            self.session.execute(
                update(RequestRecord)
                .where(
                    RequestRecord.request_id.in_(request_ids),
                    RequestRecord.lease_owner == worker,
                    RequestRecord.status == IN_PROGRESS,
                )
                .values(lease_expires_at=lease_until)
                .execution_options(synchronize_session=False)
            )

    def expired_leases(self, now: datetime) -> list[RequestRecord]:
        stmt = (
            select(RequestRecord)
            .where(RequestRecord.status == IN_PROGRESS, RequestRecord.lease_expires_at < now)
            .limit(500)
        )
        if self._postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        return list(self.session.scalars(stmt))

    # events

    def add_events(self, events: Sequence[RunEvent]) -> None:
        self.session.add_all(events)
        self.session.flush()

    def events(
        self, request_id: str, *, after: int = 0, kinds: Sequence[str] | None = None
    ) -> list[RunEvent]:
        stmt = select(RunEvent).where(RunEvent.request_id == request_id, RunEvent.seq > after)
        if kinds is not None:
            stmt = stmt.where(RunEvent.kind.in_(kinds))
        return list(self.session.scalars(stmt.order_by(RunEvent.seq)))

    def delete_events(self, request_id: str, kinds: Sequence[str]) -> None:
        for event in self.events(request_id, kinds=kinds):
            self.session.delete(event)
        self.session.flush()

    # apps

    def app(self, app_id: str) -> DeployedApp | None:
        return self.session.get(DeployedApp, app_id)

    def apps(self) -> list[DeployedApp]:
        return list(self.session.scalars(select(DeployedApp).order_by(DeployedApp.app_id)))

    def save_app(self, app: DeployedApp) -> None:
        self.session.add(app)
        self.session.flush()

    def delete_app(self, app: DeployedApp) -> None:
        self.session.delete(app)
        self.session.flush()

    def flush(self) -> None:
        self.session.flush()
