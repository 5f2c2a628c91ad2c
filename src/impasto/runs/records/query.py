"""What a request-history query asks for, normalised: ids, time window, status, search text.

Everything here is pure: the endpoints hand over parsed parameters, the service gets
values it can pass to SQL without further checks (no text PostgreSQL cannot store, no
datetimes outside what both databases compare).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from impasto.kit.comma_lists import split_commas
from impasto.kit.errors import InvalidRequest
from impasto.kit.text import is_storable

MAX_ENDPOINT_IDS = 50
DEFAULT_WINDOW = timedelta(hours=24)
# fal widens the default window when one request is looked up by id.
REQUEST_ID_WINDOW = timedelta(days=90)
MAX_SEARCH_TERMS = 16

# fal's status filter, as ranges of the app's HTTP status code.
STATUS_CODES: dict[str, tuple[int, int]] = {
    "success": (200, 300),
    "user_error": (400, 500),
    "error": (500, 600),
}

_TERM = re.compile(r"\w+")
_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
_LATEST = datetime(9999, 12, 30, tzinfo=UTC)


@dataclass(frozen=True)
class ByEndpointQuery:
    owner: str
    endpoint_ids: list[str]
    start: datetime | date | None = None
    end: datetime | date | None = None
    status: str | None = None
    request_id: str | None = None
    sort_by: str = "ended_at"
    with_payloads: bool = False
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True)
class RecordQuery:
    owner: str
    endpoint_ids: list[str] | None = None
    query: str | None = None
    image_url: str | None = None
    video_url: str | None = None
    exclude_api_requests: bool | None = None
    only_api_requests: bool | None = None
    min_similarity: float | None = None
    limit: int = 50
    cursor: str | None = None


def split_ids(values: Sequence[str] | None, *, required: bool) -> list[str] | None:
    """Repeated values or comma lists, 1-50 distinct ids in the order given. Blank values
    name no endpoint: a required list of them matches nothing, an optional one is no filter."""
    if values is None:
        if required:
            raise InvalidRequest("endpoint_id is required")
        return None
    ids = list(dict.fromkeys(split_commas(values)))
    if len(ids) > MAX_ENDPOINT_IDS:
        raise InvalidRequest(f"endpoint_id accepts at most {MAX_ENDPOINT_IDS} ids, got {len(ids)}")
    if not ids and not required:
        return None
    # An id no request can have (control characters) matches nothing; dropping it keeps
    # it away from the driver, which cannot store it.
    return [i for i in ids if is_storable(i) and len(i) <= 255]


def moment(value: datetime | date) -> datetime:
    """An aware UTC datetime; a date is its midnight UTC, a naive time is UTC. Values at
    the very ends of the calendar are clamped (an offset there would overflow)."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(), tzinfo=UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        value = value.astimezone(UTC)
    except OverflowError:
        return _EARLIEST if value.year < 5000 else _LATEST
    return min(max(value, _EARLIEST), _LATEST)


def window(
    start: datetime | date | None,
    end: datetime | date | None,
    now: datetime,
    *,
    default: timedelta,
) -> tuple[datetime, datetime]:
    until = moment(end) if end is not None else now
    since = moment(start) if start is not None else max(until - default, _EARLIEST)
    return since, until


def search_terms(text: str | None) -> list[str]:
    """Lower-cased word terms of a text query, at most 16, without repeats."""
    if text is None:
        return []
    terms = [t.lower() for t in _TERM.findall(text) if is_storable(t)]
    return list(dict.fromkeys(terms))[:MAX_SEARCH_TERMS]


def search_url(value: str | None) -> str | None:
    """A URL to look for, or None when blank. A URL no request can contain (control
    characters) still answers, with no results."""
    if value is None or not value.strip():
        return None
    return value.strip()


def check_exclusive(query: RecordQuery) -> None:
    given = [
        name
        for name, value in (
            ("query", query.query),
            ("image_url", query.image_url),
            ("video_url", query.video_url),
        )
        if value is not None and value.strip()
    ]
    if len(given) > 1:
        raise InvalidRequest(f"{' and '.join(given)} are mutually exclusive: send one of them")
    if query.exclude_api_requests and query.only_api_requests:
        raise InvalidRequest("exclude_api_requests and only_api_requests are mutually exclusive")
