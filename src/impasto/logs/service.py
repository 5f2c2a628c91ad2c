"""Log history and following, for one owner's requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from impasto.kit.clock import Clock
from impasto.kit.cursors import Cursors
from impasto.logs.query import LogQuery
from impasto.logs.repository import LogRepository
from impasto.logs.schemas import LogItem, LogPage

FOLLOW_BATCH = 500


class LogService:
    def __init__(self, session: Session, clock: Clock, cursors: Cursors) -> None:
        self._repo = LogRepository(session)
        self._clock = clock
        self._cursors = cursors

    def history(self, query: LogQuery, before: tuple[datetime, int] | None, limit: int) -> LogPage:
        rows = self._repo.newest(query, before, limit + 1)
        page = rows[:limit]
        next_cursor = None
        if len(rows) > limit:
            last = page[-1]
            next_cursor = self._cursors.issue(_fingerprint(query), [last.created_at, last.seq])
        return LogPage(
            next_cursor=next_cursor,
            has_more=next_cursor is not None,
            items=[item(row) for row in page],
        )

    def read_cursor(self, query: LogQuery, cursor: str) -> tuple[datetime, int]:
        at, seq = self._cursors.read(cursor, _fingerprint(query), ["datetime", "int"])
        return at, seq

    def since(self, query: LogQuery, seq: int) -> tuple[list[tuple[int, LogItem]], int]:
        """New lines after ``seq`` (oldest first, with their seq) and the next position."""
        rows = self._repo.after(query, seq, FOLLOW_BATCH)
        return [(row.seq, item(row)) for row in rows], rows[-1].seq if rows else seq

    def last_seq(self) -> int:
        return self._repo.last_seq()

    def prune(self, retention: timedelta, limit: int) -> int:
        return self._repo.delete_older_than(self._clock.now() - retention, limit)


def item(row: Row[Any]) -> LogItem:
    data: dict[str, Any] = row.data if isinstance(row.data, dict) else {}
    labels = {str(k): str(v) for k, v in (data.get("labels") or {}).items() if isinstance(k, str)}
    labels.update(
        request_id=row.request_id,
        endpoint_id=row.endpoint_id,
        source=str(data.get("source") or "USER"),
    )
    return LogItem(
        timestamp=_timestamp(data.get("timestamp"), row.created_at),
        level=str(data.get("level") or "INFO"),
        message=str(data.get("message") or ""),
        app=row.app_id,
        revision=row.revision_id or "",
        labels=labels,
    )


def _timestamp(written: Any, stored: datetime) -> str:
    """The line's own time when it carries a valid one (the runner's clock), else when it
    was stored."""
    if isinstance(written, str):
        try:
            parsed = datetime.fromisoformat(written)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed.astimezone(UTC).isoformat()
    return stored.astimezone(UTC).isoformat()


def _fingerprint(query: LogQuery) -> dict[str, Any]:
    return {
        "op": "logs",
        "owner": query.owner,
        "start": query.start.isoformat(),
        "end": query.end.isoformat(),
        "apps": query.app_ids,
        "request": query.request_id,
        "levels": sorted(query.levels) if query.levels is not None else None,
        "search": query.search,
        "conditions": [(c.key, list(c.values), c.negated) for c in query.conditions],
        "nothing": query.matches_nothing,
        "revision": query.revision,
    }
