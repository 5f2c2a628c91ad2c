"""HTTP byte ranges and conditional requests (RFC 9110 §13-14), as pure functions.

One range per request is served; a header listing several ranges, or one that does not
parse, is ignored and the whole file is sent, which the RFC allows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import ClassVar

from impasto.kit.errors import AppError

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


class RangeNotSatisfiable(AppError):
    status_code: ClassVar[int] = 416
    platform_type: ClassVar[str] = "validation_error"
    run_type: ClassVar[str] = "bad_request"


@dataclass(frozen=True, slots=True)
class ByteRange:
    start: int
    end: int  # exclusive

    @property
    def length(self) -> int:
        return self.end - self.start

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end - 1}/{size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The single range asked for, None for the whole file; 416 when it cannot be met."""
    if header is None:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":  # suffix: the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise _unsatisfiable(size)
        return ByteRange(max(0, size - suffix), size)
    start = int(first)
    end = size if last == "" else min(int(last) + 1, size)
    if last != "" and int(last) < start:
        return None  # syntactically invalid: ignore
    if start >= size:
        raise _unsatisfiable(size)
    return ByteRange(start, end)


def _unsatisfiable(size: int) -> RangeNotSatisfiable:
    return RangeNotSatisfiable(
        "Requested range not satisfiable", headers={"Content-Range": f"bytes */{size}"}
    )


def etag_for(blob_key: str) -> str:
    return f'"{blob_key}"'


def not_modified(
    *,
    etag: str,
    last_modified: datetime,
    if_none_match: str | None,
    if_modified_since: str | None,
) -> bool:
    """True when a GET/HEAD should answer 304 (If-None-Match wins over If-Modified-Since)."""
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if if_modified_since is not None:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            return False
        return last_modified.replace(microsecond=0) <= since
    return False


def range_applies(if_range: str | None, etag: str) -> bool:
    """``If-Range`` with our strong ETag: serve the range only if the file is unchanged."""
    return if_range is None or if_range.strip() == etag


def http_date(value: datetime) -> str:
    return format_datetime(value, usegmt=True)
