"""Reads of the metering ledger; it is written only by ``metering.meter``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from impasto.models import ApiKey, UsageEvent
from impasto.usage.reports import LedgerRow

E = UsageEvent
_COLUMNS = [column for column in UsageEvent.__table__.columns]


@dataclass(frozen=True, slots=True)
class LedgerFilter:
    owners: Sequence[str] | None  # whose requests (a team, an organization's); None: anyone's
    start: datetime
    end: datetime
    endpoint_ids: Sequence[str] | None = None
    key_ids: Sequence[str] | None = None
    request_ids: Sequence[str] | None = None
    billed_only: bool = False  # only requests that bill something (billing events)
    app_owner: str | None = None  # only requests to this owner's apps (serverless usage)


class UsageRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def events(self, where: LedgerFilter) -> list[LedgerRow]:
        """Every event of the window, oldest first."""
        stmt = self._filtered(where).order_by(E.completed_at, E.request_id)
        return cast(list[LedgerRow], list(self.session.execute(stmt)))

    def page(
        self, where: LedgerFilter, after: tuple[datetime, str] | None, limit: int
    ) -> list[LedgerRow]:
        """Up to ``limit`` events after the position ``after`` (completion time, request id)."""
        stmt = self._filtered(where)
        if after is not None:
            at, request_id = after
            stmt = stmt.where(
                or_(E.completed_at > at, and_(E.completed_at == at, E.request_id > request_id))
            )
        stmt = stmt.order_by(E.completed_at, E.request_id).limit(limit)
        return cast(list[LedgerRow], list(self.session.execute(stmt)))

    def key_aliases(self, key_ids: Sequence[str]) -> dict[str, str]:
        if not key_ids:
            return {}
        stmt = select(ApiKey.key_id, ApiKey.alias).where(ApiKey.key_id.in_(sorted(set(key_ids))))
        return {row.key_id: row.alias for row in self.session.execute(stmt)}

    def _filtered(self, where: LedgerFilter) -> Select[Any]:
        stmt = select(*_COLUMNS).where(
            E.completed_at >= where.start,
            E.completed_at < where.end,
        )
        if where.owners is not None:
            stmt = stmt.where(E.owner.in_(list(where.owners)))
        if where.app_owner is not None:
            prefix = where.app_owner.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = stmt.where(E.app_id.like(f"{prefix}/%", escape="\\"))
        if where.endpoint_ids is not None:
            stmt = stmt.where(E.endpoint_id.in_(list(where.endpoint_ids)))
        if where.key_ids is not None:
            stmt = stmt.where(E.key_id.in_(list(where.key_ids)))
        if where.request_ids is not None:
            stmt = stmt.where(E.request_id.in_(list(where.request_ids)))
        if where.billed_only:
            stmt = stmt.where(E.quantity > 0)
        return stmt
