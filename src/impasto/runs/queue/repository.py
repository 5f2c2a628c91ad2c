"""SQL for the queue: requests, their events and deployed apps.

The claim and the lease checks are single statements, so two workers can never hold the
same attempt: on PostgreSQL the claim skips rows another transaction has locked
(``FOR UPDATE SKIP LOCKED``); on SQLite the one writer connection serialises claims.

The three statements every request runs (insert, claim, finish) are Core, built once with
bind parameters: the ORM's unit of work and the per-call statement construction and
cache-key generation cost more than SQLite's own work (bench/README.md, Queue). The insert
takes a typed ``NewRequest`` and gives back nothing the ORM would have to track: a later
read of the request in the same transaction is a query, like a read of any other row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BindParameter,
    Integer,
    Row,
    Select,
    Table,
    Update,
    and_,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from impasto.models import RequestRecord, RunEvent
from impasto.runs.queue.submission import NewRequest

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
    "created_at",  # the queue's wait time (metrics)
)
IN_QUEUE = "IN_QUEUE"
IN_PROGRESS = "IN_PROGRESS"
COMPLETED = "COMPLETED"
# What the completion hooks read of a request the finish statement completed.
FINISHED_COLUMNS = (
    "request_id",
    "owner",
    "endpoint_id",
    "app_id",
    "webhook_url",
    "input",
    "started_at",
    "parent_request_id",
    "node_id",
    "key_id",
    "store_io",
    "created_at",
)


class RunRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._postgres = session.get_bind().dialect.name == "postgresql"

    # requests

    def insert(self, request: NewRequest, *, started: bool = False) -> None:
        """Store a new request IN_QUEUE, with no attempt and no result yet; or, ``started``,
        IN_PROGRESS from its creation and with no lease: a workflow run, which no worker
        claims and the platform itself completes.

        Written as the ORM's add and flush would store it: a JSON column given None (an
        input of None) stores JSON null; the columns a new request leaves out (lease,
        result, times after creation) stay SQL NULL or take their column default.
        """
        self.session.flush()  # the Core statement does not autoflush as a query would
        params = {name: getattr(request, name) for name in _NEW_REQUEST_FIELDS}
        state = _NEW_REQUEST_STATE
        if started:
            state = state | {"status": IN_PROGRESS, "started_at": request.created_at}
        self.session.connection().execute(_INSERT, params | state)

    def get(self, request_id: str) -> RequestRecord | None:
        return self.session.get(RequestRecord, request_id)

    def get_for_update(self, request_id: str) -> RequestRecord | None:
        stmt = select(RequestRecord).where(RequestRecord.request_id == request_id)
        if self._postgres:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).one_or_none()

    def queue_position(self, app_id: str, priority: int, request_id: str) -> int:
        """Requests of the same app that will be claimed before this one."""
        ahead = or_(
            RequestRecord.priority < priority,
            and_(RequestRecord.priority == priority, RequestRecord.request_id < request_id),
        )
        stmt = select(func.count()).where(
            RequestRecord.app_id == app_id, RequestRecord.status == IN_QUEUE, ahead
        )
        return int(self.session.scalar(stmt) or 0)

    def children(self, parent_request_id: str) -> list[RequestRecord]:
        """The node requests of a workflow run, oldest first, as stored now (a finish's
        Core ``UPDATE`` may have changed one the session already holds)."""
        stmt = (
            select(RequestRecord)
            .where(RequestRecord.parent_request_id == parent_request_id)
            .order_by(RequestRecord.request_id)
            .execution_options(populate_existing=True)
        )
        return list(self.session.scalars(stmt))

    def live_children_for_update(self, parent_request_id: str) -> list[RequestRecord]:
        """A run's node requests not yet completed, locked. On PostgreSQL one that another
        transaction holds is skipped: that one is completing, and waiting for it could
        deadlock (it waits for the run's row, which the caller holds)."""
        stmt = select(RequestRecord).where(
            RequestRecord.parent_request_id == parent_request_id,
            RequestRecord.status != COMPLETED,
        )
        if self._postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        return list(self.session.scalars(stmt.execution_options(populate_existing=True)))

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
        statement = _CLAIM_FOR_UPDATE if self._postgres else _CLAIM
        params = {
            "app": app_id,
            "worker": worker,
            "limit": limit,
            "now": now,
            "until": lease_until,
        }
        rows = list(self.session.connection().execute(statement, params))
        return sorted(rows, key=lambda row: (row.priority, row.request_id))

    def finish(
        self, request_id: str, worker: str, attempt: int, values: dict[str, Any]
    ) -> Row[Any] | None:
        """Complete the attempt ``worker`` holds with the result ``values``, in one
        fenced ``UPDATE ... RETURNING``; None when it no longer holds it.

        A request without ``store_io`` loses its input, as JSON null, as ``complete``
        writes it; ``values`` never hold None for ``output``: it stays as it is (NULL).
        """
        self.session.flush()  # the Core statement does not autoflush as a query would
        fence = {"rid": request_id, "worker": worker, "attempt": attempt}
        row = self.session.connection().execute(_FINISH, fence | values).first()
        if row is not None:
            # A record this session already holds must not show its state before.
            held = self.session.identity_map.get(identity_key(RequestRecord, request_id))
            if held is not None:
                self.session.expire(held)
        return row

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

    def flush(self) -> None:
        self.session.flush()


def _table() -> Table:
    table = RequestRecord.__table__
    assert isinstance(table, Table)
    return table


def _param(table: Table, name: str, column: str | None = None) -> BindParameter[Any]:
    """A bind parameter typed as the column it is compared with or written to."""
    return bindparam(name, type_=table.c[column or name].type)


def _claim_statement(table: Table, *, postgres: bool) -> Update:
    now = _param(table, "now", "started_at")
    pick: Select[Any] = (
        select(table.c.request_id)
        .where(
            table.c.app_id == _param(table, "app", "app_id"),
            table.c.status == IN_QUEUE,
            or_(table.c.start_deadline.is_(None), table.c.start_deadline >= now),
        )
        .order_by(table.c.priority, table.c.request_id)
        .limit(bindparam("limit", type_=Integer()))
    )
    if postgres:
        pick = pick.with_for_update(skip_locked=True)
    return (
        update(table)
        .where(table.c.request_id.in_(pick.scalar_subquery()))
        .values(
            status=IN_PROGRESS,
            lease_owner=_param(table, "worker", "lease_owner"),
            lease_expires_at=_param(table, "until", "lease_expires_at"),
            attempts=table.c.attempts + 1,
            started_at=func.coalesce(table.c.started_at, now),
        )
        .returning(*(table.c[name] for name in CLAIM_COLUMNS))
    )


def _finish_statement(table: Table) -> Update:
    """The result's own columns are set from the parameters' keys (Core's implicit SET),
    so one statement serves results with and without an output."""
    # Dropping the input of a request without store_io writes JSON null, not SQL NULL, as
    # the ORM does for ``record.input = None`` (which leaves an input already None as is).
    json_null = bindparam("json_null", JSON.NULL, type_=table.c.input.type)
    return (
        update(table)
        .where(
            table.c.request_id == _param(table, "rid", "request_id"),
            table.c.status == IN_PROGRESS,
            table.c.lease_owner == _param(table, "worker", "lease_owner"),
            table.c.attempts == _param(table, "attempt", "attempts"),
        )
        .values(
            status=COMPLETED,
            lease_owner=None,
            lease_expires_at=None,
            input=case(
                (or_(table.c.store_io, table.c.input.is_(None)), table.c.input), else_=json_null
            ),
        )
        .returning(*(table.c[name] for name in FINISHED_COLUMNS))
    )


_TABLE = _table()
_NEW_REQUEST_FIELDS = tuple(field.name for field in fields(NewRequest))
# What every new request starts as, whatever its submit decided.
_NEW_REQUEST_STATE: dict[str, Any] = {
    "status": IN_QUEUE,
    "attempts": 0,
    "cancel_requested": False,
    "result_headers": {},
    "payloads_deleted": False,
}
_INSERT = insert(_TABLE)
_CLAIM = _claim_statement(_TABLE, postgres=False)
_CLAIM_FOR_UPDATE = _claim_statement(_TABLE, postgres=True)
_FINISH = _finish_statement(_TABLE)
