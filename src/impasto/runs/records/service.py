"""Request records on the Platform API: an owner's requests by endpoint, and their search.

A caller only ever sees requests made for its own owner; there is no way to name another
owner's request here. Search is keyword and URL matching over the stored payloads:
``query`` ranks by the share of its words a request's input or output contains,
``image_url`` / ``video_url`` find the requests that used or produced that very file
(similarity 1). Embedding similarity is the asset library's job (docs/architecture).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from impasto.kit.clock import Clock
from impasto.kit.cursors import Cursors
from impasto.kit.text import is_storable
from impasto.models import RequestRecord
from impasto.runs.records.query import (
    DEFAULT_WINDOW,
    REQUEST_ID_WINDOW,
    STATUS_CODES,
    ByEndpointQuery,
    RecordQuery,
    check_exclusive,
    search_terms,
    search_url,
    window,
)
from impasto.runs.records.repository import (
    DONE,
    PENDING,
    Position,
    RecordFilter,
    RecordRepository,
)

MAX_SEARCH_LIMIT = 100
# Requests a text or URL search ranks at most (the newest that match).
MAX_CANDIDATES = 1000


@dataclass(frozen=True)
class RecordPage:
    records: list[RequestRecord]
    next_cursor: str | None


@dataclass(frozen=True)
class Hit:
    record: RequestRecord
    similarity: float | None


@dataclass(frozen=True)
class SearchPage:
    hits: list[Hit]
    next_cursor: str | None


class RecordService:
    def __init__(self, session: Session, clock: Clock, cursors: Cursors) -> None:
        self._repo = RecordRepository(session)
        self._clock = clock
        self._cursors = cursors

    def by_endpoint(self, query: ByEndpointQuery) -> RecordPage:
        default = REQUEST_ID_WINDOW if query.request_id is not None else DEFAULT_WINDOW
        since, until = window(query.start, query.end, self._clock.now(), default=default)
        status = STATUS_CODES[query.status] if query.status is not None else None
        where = RecordFilter(
            owner=query.owner,
            endpoint_ids=query.endpoint_ids,
            since=since,
            until=until,
            status_codes=status,
            request_id=query.request_id,
        )
        # The cursor is bound to the parameters as sent: a default window moves with time,
        # and later pages keep following the one the first page used.
        bound = {
            "op": "by-endpoint",
            "ids": query.endpoint_ids,
            "start": str(query.start),
            "end": str(query.end),
            "status": query.status,
            "request_id": query.request_id,
            "sort": query.sort_by,
        }
        after = None
        if query.cursor is not None:
            segment, ms, at, request_id = self._cursors.read(
                query.cursor, bound, ["int", "int", "datetime", "str"]
            )
            after = Position(segment, ms, at, request_id)
        rows = self._repo.by_endpoint(where, sort=query.sort_by, after=after, limit=query.limit + 1)
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        next_cursor = None
        if more and rows:
            last, ms = rows[-1]
            if last.completed_at is not None:
                position = [DONE, ms or 0, last.completed_at, last.request_id]
            else:
                position = [PENDING, 0, last.created_at, last.request_id]
            next_cursor = self._cursors.issue(bound, position)
        return RecordPage(records=[record for record, _ in rows], next_cursor=next_cursor)

    def search(self, query: RecordQuery) -> SearchPage:
        check_exclusive(query)
        via_api_key = None
        if query.only_api_requests:
            via_api_key = True
        elif query.exclude_api_requests:
            via_api_key = False
        where = RecordFilter(
            owner=query.owner, endpoint_ids=query.endpoint_ids, via_api_key=via_api_key
        )
        limit = min(query.limit, MAX_SEARCH_LIMIT)
        text = query.query if query.query is not None and query.query.strip() else None
        url = search_url(query.image_url) or search_url(query.video_url)
        bound: dict[str, Any] = {
            "op": "search",
            "ids": query.endpoint_ids,
            "api": via_api_key,
            "query": text,
            "url": url,
            "min": query.min_similarity,
        }
        if text is None and url is None:
            return self._browse(where, bound, query.cursor, limit)
        terms = search_terms(text)
        needles = terms if text is not None else [url] if url is not None else []
        # A URL with control characters is in no request (and cannot reach the driver).
        needles = [needle for needle in needles if is_storable(needle)]
        candidates = self._repo.containing(where, needles, limit=MAX_CANDIDATES)
        hits = [Hit(r, _score(r, terms) if text is not None else 1.0) for r in candidates]
        floor = query.min_similarity or 0.0
        ranked = sorted(
            (hit for hit in hits if hit.similarity and hit.similarity >= floor),
            key=lambda hit: -(hit.similarity or 0.0),
        )  # stable: equal scores stay newest first
        offset = 0
        if query.cursor is not None:
            [offset] = self._cursors.read(query.cursor, bound, ["int"])
            offset = max(offset, 0)
        page = ranked[offset : offset + limit]
        more = offset + limit < len(ranked)
        next_cursor = self._cursors.issue(bound, [offset + limit]) if more else None
        return SearchPage(hits=page, next_cursor=next_cursor)

    def _browse(
        self, where: RecordFilter, bound: dict[str, Any], cursor: str | None, limit: int
    ) -> SearchPage:
        after = None
        if cursor is not None:
            at, request_id = self._cursors.read(cursor, bound, ["datetime", "str"])
            after = (at, request_id)
        records = self._repo.browse(where, after=after, limit=limit + 1)
        next_cursor = None
        if len(records) > limit:
            records = records[:limit]
            last = records[-1]
            next_cursor = self._cursors.issue(bound, [last.created_at, last.request_id])
        return SearchPage(hits=[Hit(r, None) for r in records], next_cursor=next_cursor)


def _score(record: RequestRecord, terms: list[str]) -> float:
    """The share of the query's words that occur in the request's input or output."""
    if not terms:
        return 0.0
    text = " ".join(
        json.dumps(value, ensure_ascii=False).lower()
        for value in (record.input, record.output)
        if value is not None
    )
    found = sum(1 for term in terms if term in text)
    return round(found / len(terms), 4)
