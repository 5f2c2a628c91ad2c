"""fal's report parameters, shared by every usage, analytics, billing and FOCUS operation.

Everything fal's schemas accept is accepted: ``limit`` above a page's maximum is served as
that maximum, unknown ``expand`` values are ignored, and list parameters come repeated or
comma-separated.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BeforeValidator

from impasto.kit.comma_lists import split_comma_lists, split_commas
from impasto.kit.errors import InvalidRequest
from impasto.kit.text import is_storable
from impasto.usage.window import Timeframe

MAX_IDS = 50
# fal's two forms, as formats (a pattern would call "2025-13-45" valid): documents and
# generated requests name real dates; window.moment parses both.
DATE_OR_TIME_SCHEMA: dict[str, Any] = {
    "anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}]
}
ID_LENGTH = 255

Limit = Annotated[
    int | None,
    Query(ge=1, description="Maximum number of items to return (larger values are capped)"),
]
Cursor = Annotated[
    str | None, Query(max_length=1024, description="Pagination cursor from a previous response")
]
Start = Annotated[
    str | None,
    Query(
        max_length=64,
        json_schema_extra=DATE_OR_TIME_SCHEMA,
        description="ISO 8601 date-time or date (e.g. 2025-01-01T00:00:00Z or 2025-01-01); "
        "defaults to 24 hours before end",
    ),
]
End = Annotated[
    str | None,
    Query(
        max_length=64,
        json_schema_extra=DATE_OR_TIME_SCHEMA,
        description="ISO 8601 date-time or date, exclusive; defaults to now",
    ),
]
Timezone = Annotated[
    str,
    Query(max_length=64, description="IANA timezone that buckets and dates are read in"),
]
TimeframeParam = Annotated[
    Timeframe | None,
    Query(
        description="Bucket size; by default from the range: minute (<2h), hour (<2d), "
        "day (<64d), week (<183d), month"
    ),
]
Bound = Annotated[
    Literal["true", "false"],
    Query(description="Align start and end to the timeframe's boundaries (end exclusive)"),
]


def _ids_param(what: str) -> object:
    return Query(
        description=f"{what}, 1-{MAX_IDS}, comma-separated or repeated: ?x=a,b or ?x=a&x=b"
    )


IdList = Annotated[list[str] | None, BeforeValidator(split_comma_lists)]
EndpointIds = Annotated[
    list[str] | None, BeforeValidator(split_comma_lists), _ids_param("Endpoint id(s)")
]
RequiredEndpointIds = Annotated[
    list[str], BeforeValidator(split_comma_lists), _ids_param("Endpoint id(s), required")
]
KeyIds = Annotated[
    list[str] | None, BeforeValidator(split_comma_lists), _ids_param("API key id(s)")
]
RequestIds = Annotated[
    list[str] | None, BeforeValidator(split_comma_lists), _ids_param("Request id(s)")
]
LoginUsernames = Annotated[
    list[str] | None,
    BeforeValidator(split_comma_lists),
    _ids_param(
        "Team member login username(s); requests are made with keys here, so any "
        "value matches nothing"
    ),
]
Expand = Annotated[
    list[str] | None, BeforeValidator(split_comma_lists), Query(description="What to include")
]


def ids(values: Sequence[str] | None, name: str) -> list[str] | None:
    """1-50 distinct ids in the order given; None when the filter is absent or blank."""
    if values is None:
        return None
    found = list(dict.fromkeys(split_commas(values)))
    if len(found) > MAX_IDS:
        raise InvalidRequest(f"{name} accepts at most {MAX_IDS} values, got {len(found)}")
    if not found:
        return None
    # A value no row can hold (control characters, too long) matches nothing.
    return [value for value in found if is_storable(value) and len(value) <= ID_LENGTH]


def expansions(values: Sequence[str] | None, default: Sequence[str]) -> frozenset[str]:
    return frozenset(split_commas(values) if values else default)


def page_size(limit: int | None, default: int, maximum: int) -> int:
    return min(limit or default, maximum)
