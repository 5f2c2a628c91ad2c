"""The SQL of log queries: log events joined to their requests (for owner, app, endpoint)
and the app (for its revision), filtered on the line's JSON fields on either database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, delete, false, func, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from impasto.logs.query import Condition, LogQuery
from impasto.models import DeployedApp, RequestRecord, RunEvent

LOG = "log"
E, R, A = RunEvent, RequestRecord, DeployedApp
COLUMNS = (
    E.seq,
    E.request_id,
    E.data,
    E.created_at,
    R.app_id,
    R.endpoint_id,
    A.revision_id,
)


class LogRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def newest(
        self, query: LogQuery, before: tuple[datetime, int] | None, limit: int
    ) -> list[Row[Any]]:
        """Up to ``limit`` lines, newest first, older than ``before`` (time, seq)."""
        stmt = self._filtered(query)
        if before is not None:
            at, seq = before
            stmt = stmt.where(or_(E.created_at < at, and_(E.created_at == at, E.seq < seq)))
        stmt = stmt.order_by(E.created_at.desc(), E.seq.desc()).limit(limit)
        return list(self.session.execute(stmt))

    def after(self, query: LogQuery, seq: int, limit: int) -> list[Row[Any]]:
        """Lines written after ``seq``, oldest first: what a follower has not seen yet."""
        stmt = self._filtered(query).where(E.seq > seq).order_by(E.seq).limit(limit)
        return list(self.session.execute(stmt))

    def last_seq(self) -> int:
        return int(self.session.scalar(select(func.coalesce(func.max(E.seq), 0))) or 0)

    def delete_older_than(self, cutoff: datetime, limit: int) -> int:
        """Drop up to ``limit`` log lines written before ``cutoff`` (the retention sweep)."""
        seqs = list(
            self.session.scalars(
                select(E.seq).where(E.kind == LOG, E.created_at < cutoff).limit(limit)
            )
        )
        if seqs:
            self.session.execute(delete(E).where(E.seq.in_(seqs)))
        return len(seqs)

    def _filtered(self, query: LogQuery) -> Select[Any]:
        stmt = (
            select(*COLUMNS)
            .join(R, R.request_id == E.request_id)
            .outerjoin(A, A.app_id == R.app_id)
            .where(
                R.owner == query.owner,
                E.kind == LOG,
                E.created_at >= query.start,
                E.created_at < query.end,
            )
        )
        if query.matches_nothing:
            stmt = stmt.where(false())
        if query.app_ids is not None:
            stmt = stmt.where(R.app_id.in_(list(query.app_ids)))
        if query.revision is not None:
            stmt = stmt.where(A.revision_id == query.revision)
        if query.request_id is not None:
            stmt = stmt.where(E.request_id == query.request_id)
        if query.levels is not None:
            stmt = stmt.where(func.upper(E.data["level"].as_string()).in_(sorted(query.levels)))
        if query.search:
            pattern = f"%{_escape_like(query.search.lower())}%"
            stmt = stmt.where(func.lower(E.data["message"].as_string()).like(pattern, escape="\\"))
        for condition in query.conditions:
            stmt = stmt.where(_condition(condition))
        return stmt


def _field(key: str) -> ColumnElement[Any] | InstrumentedAttribute[str]:
    if key in ("level", "source"):
        value: ColumnElement[Any] = E.data[key].as_string()
        return func.upper(value) if key == "level" else value
    if key == "request_id":
        return E.request_id
    if key == "endpoint_id":
        return R.endpoint_id
    if key in ("app", "app_id"):
        return R.app_id
    label: ColumnElement[Any] = E.data["labels"][key].as_string()
    return label


def _condition(condition: Condition) -> ColumnElement[bool]:
    values: Sequence[str] = condition.values
    if condition.key == "level":
        values = [value.upper() for value in values]
    column = _field(condition.key)
    if not values:  # nothing to compare with: in matches no line, not_in every line
        return true() if condition.negated else false()
    if condition.negated:
        return or_(column.is_(None), column.not_in(list(values)))
    return column.in_(list(values))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
