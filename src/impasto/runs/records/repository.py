"""SQL for request records: an owner's history by endpoint, its search, and queue flushes.

Listings are keyset-paginated. Finished requests come first, ordered by the sort key
(end time or duration), then the ones still queued or running, newest first: a request
that finishes while a client pages moves above the cursor, so no page repeats a row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from impasto.models import RequestRecord
from impasto.runs.queue.repository import COMPLETED, IN_QUEUE

R = RequestRecord
# Sort segments: finished requests, then pending ones.
DONE, PENDING = 0, 1


@dataclass(frozen=True)
class Position:
    """Where a page ended: segment, duration in ms (0 unless sorted by it), time, id."""

    segment: int
    duration_ms: int
    at: datetime
    request_id: str


@dataclass(frozen=True)
class RecordFilter:
    owner: str
    endpoint_ids: Sequence[str] | None = None
    since: datetime | None = None
    until: datetime | None = None
    # Ranges of result status codes, e.g. [(200, 300)]; finished requests only.
    status_codes: tuple[int, int] | None = None
    request_id: str | None = None
    # True: only requests made with an API key; False: only those made without one.
    via_api_key: bool | None = None


class RecordRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._postgres = session.get_bind().dialect.name == "postgresql"

    def by_endpoint(
        self, where: RecordFilter, *, sort: str, after: Position | None, limit: int
    ) -> list[tuple[RequestRecord, int | None]]:
        """Records with their duration in ms as the database computes it (the cursor must
        carry that value, not one recomputed in Python)."""
        done = R.completed_at.is_not(None)
        pending = R.completed_at.is_(None)
        segment = case((pending, PENDING), else_=DONE)
        duration = self.duration_ms()
        stmt = self._filtered(where)
        if after is not None:
            later_pending = and_(
                pending,
                or_(
                    R.created_at < after.at,
                    and_(R.created_at == after.at, R.request_id < after.request_id),
                ),
            )
            if after.segment == PENDING:
                stmt = stmt.where(later_pending)
            elif sort == "duration":
                stmt = stmt.where(
                    or_(
                        and_(
                            done,
                            or_(
                                duration < after.duration_ms,
                                and_(
                                    duration == after.duration_ms,
                                    R.request_id < after.request_id,
                                ),
                            ),
                        ),
                        pending,
                    )
                )
            else:
                stmt = stmt.where(
                    or_(
                        and_(
                            done,
                            or_(
                                R.completed_at < after.at,
                                and_(R.completed_at == after.at, R.request_id < after.request_id),
                            ),
                        ),
                        pending,
                    )
                )
        if sort == "duration":
            # Finished: longest first; pending (no duration): newest first.
            order = [
                segment,
                func.coalesce(duration, 0).desc(),
                case((pending, R.created_at), else_=None).desc(),
                R.request_id.desc(),
            ]
        else:
            order = [
                segment,
                func.coalesce(R.completed_at, R.created_at).desc(),
                R.request_id.desc(),
            ]
        rows = self.session.execute(stmt.add_columns(duration).order_by(*order).limit(limit))
        return [(record, None if ms is None else int(ms)) for record, ms in rows]

    def browse(
        self, where: RecordFilter, *, after: tuple[datetime, str] | None, limit: int
    ) -> list[RequestRecord]:
        """Newest first, keyset on (created_at, request_id)."""
        stmt = self._filtered(where)
        if after is not None:
            at, request_id = after
            stmt = stmt.where(
                or_(R.created_at < at, and_(R.created_at == at, R.request_id < request_id))
            )
        stmt = stmt.order_by(R.created_at.desc(), R.request_id.desc())
        return list(self.session.scalars(stmt.limit(limit)))

    def containing(
        self, where: RecordFilter, needles: Sequence[str], *, limit: int
    ) -> list[RequestRecord]:
        """Newest requests whose stored input or output text contains any needle
        (case-insensitive for ASCII); the caller ranks them."""
        if not needles:
            return []
        texts = [func.lower(cast(R.input, Text)), func.lower(cast(R.output, Text))]
        matches: list[ColumnElement[bool]] = []
        for needle in needles:
            for form in _stored_forms(needle.lower()):
                pattern = f"%{_escape_like(form)}%"
                matches.extend(text.like(pattern, escape="\\") for text in texts)
        # Payloads sent with X-Fal-Store-IO: 0 are not kept for history: not searched.
        stmt = self._filtered(where).where(R.store_io, or_(*matches))
        stmt = stmt.order_by(R.created_at.desc(), R.request_id.desc())
        return list(self.session.scalars(stmt.limit(limit)))

    def queued_for_flush(self, app_id: str, limit: int) -> list[RequestRecord]:
        """Queued requests of an app, locked; rows a worker is claiming are skipped (the
        claim wins and the request runs)."""
        stmt = (
            select(R)
            .where(R.app_id == app_id, R.status == IN_QUEUE)
            .order_by(R.priority, R.request_id)
            .limit(limit)
        )
        if self._postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        return list(self.session.scalars(stmt))

    def queue_size(self, app_id: str) -> int:
        stmt = select(func.count()).where(R.app_id == app_id, R.status == IN_QUEUE)
        return int(self.session.scalar(stmt) or 0)

    def duration_ms(self) -> ColumnElement[int]:
        """Whole milliseconds from submission to completion, computed the same way for a
        row every time, so keyset comparisons on it are exact."""
        if self._postgres:
            seconds = func.extract("epoch", R.completed_at - R.created_at)
            return cast(func.round(seconds * 1000), BigInteger)
        days = func.julianday(R.completed_at) - func.julianday(R.created_at)
        return cast(func.round(days * literal(86_400_000.0)), BigInteger)

    def _filtered(self, where: RecordFilter) -> Select[RequestRecord]:
        stmt = select(R).where(R.owner == where.owner)
        if where.endpoint_ids is not None:
            stmt = stmt.where(R.endpoint_id.in_(where.endpoint_ids))
        if where.since is not None:
            stmt = stmt.where(R.created_at >= where.since)
        if where.until is not None:
            stmt = stmt.where(R.created_at < where.until)
        if where.status_codes is not None:
            low, high = where.status_codes
            stmt = stmt.where(R.status == COMPLETED, R.result_status >= low, R.result_status < high)
        if where.request_id is not None:
            stmt = stmt.where(R.request_id == where.request_id)
        if where.via_api_key is True:
            stmt = stmt.where(R.key_id.is_not(None))
        elif where.via_api_key is False:
            stmt = stmt.where(R.key_id.is_(None))
        return stmt


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _stored_forms(needle: str) -> list[str]:
    """The needle as it may appear inside stored JSON text: as is, and JSON-escaped
    (non-ASCII as \\uXXXX, quotes and backslashes escaped)."""
    escaped = json.dumps(needle)[1:-1]
    return [needle] if escaped == needle else [needle, escaped.lower()]
