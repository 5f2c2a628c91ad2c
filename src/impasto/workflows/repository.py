"""SQL for workflows and the definitions their runs started with. Flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Text, cast, false, func, or_, select
from sqlalchemy.orm import Session

from impasto.kit.db.keyset import order_by, sort_after
from impasto.models import Workflow, WorkflowRun

W = Workflow.__table__.c
# Newest first; the id breaks ties between workflows created in the same instant.
PAGE_ORDER: list[tuple[ColumnElement[Any], bool]] = [(W.created_at, True), (W.workflow_id, True)]


@dataclass(frozen=True, slots=True)
class WorkflowFilter:
    """One owner's workflows, optionally those whose name or title contains ``search``
    (case-insensitive) or that call any of ``endpoint_ids`` (None: any workflow; empty:
    none)."""

    owner: str
    search: str | None = None
    endpoint_ids: Sequence[str] | None = None


class WorkflowRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_name(self, owner: str, name: str) -> Workflow | None:
        stmt = select(Workflow).where(Workflow.owner == owner, Workflow.name == name)
        return self.session.scalars(stmt).one_or_none()

    def save(self, workflow: Workflow) -> None:
        self.session.add(workflow)
        self.session.flush()

    def delete(self, workflow: Workflow) -> None:
        self.session.delete(workflow)
        self.session.flush()

    def page(
        self, where: WorkflowFilter, *, after: tuple[datetime, str] | None, limit: int
    ) -> list[Workflow]:
        """Newest first, keyset on (created_at, workflow_id)."""
        stmt = select(Workflow).where(*_conditions(where))
        if after is not None:
            stmt = stmt.where(sort_after(PAGE_ORDER, after))
        stmt = stmt.order_by(*order_by(PAGE_ORDER)).limit(limit)
        return list(self.session.scalars(stmt))

    def count(self, where: WorkflowFilter) -> int:
        stmt = select(func.count()).select_from(Workflow).where(*_conditions(where))
        return int(self.session.scalar(stmt) or 0)

    # runs

    def add_run(self, run: WorkflowRun) -> None:
        self.session.add(run)
        self.session.flush()

    def get_run(self, request_id: str) -> WorkflowRun | None:
        return self.session.get(WorkflowRun, request_id)


def _conditions(where: WorkflowFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [W.owner == where.owner]
    if where.search:
        pattern = f"%{_escape_like(where.search.lower())}%"
        conditions.append(
            or_(
                func.lower(W.name).like(pattern, escape="\\"),
                func.lower(W.title).like(pattern, escape="\\"),
            )
        )
    if where.endpoint_ids is not None:
        # endpoint_ids is a JSON list of endpoint ids, which hold no character JSON escapes:
        # each is stored as itself between double quotes, on SQLite and PostgreSQL alike.
        stored = cast(W.endpoint_ids, Text)
        conditions.append(
            or_(
                *(
                    stored.like(f'%"{_escape_like(endpoint_id)}"%', escape="\\")
                    for endpoint_id in where.endpoint_ids
                ),
                false(),
            )
        )
    return conditions


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
