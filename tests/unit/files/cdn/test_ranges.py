"""Byte ranges and conditional requests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from impasto.files.cdn.ranges import (
    ByteRange,
    RangeNotSatisfiable,
    not_modified,
    parse_range,
)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-0", ByteRange(0, 1)),
        ("bytes=5-", ByteRange(5, 10)),
        ("bytes=-3", ByteRange(7, 10)),
        ("bytes=-30", ByteRange(0, 10)),
        ("bytes=8-100", ByteRange(8, 10)),
        ("bytes=0-1,4-5", None),
        ("bytes=5-2", None),
        ("items=0-1", None),
        ("bytes=-", None),
    ],
)
def test_parse_range(header: str | None, expected: ByteRange | None) -> None:
    assert parse_range(header, 10) == expected


@pytest.mark.parametrize(("header", "size"), [("bytes=10-", 10), ("bytes=-0", 10), ("bytes=0-", 0)])
def test_unsatisfiable(header: str, size: int) -> None:
    with pytest.raises(RangeNotSatisfiable) as caught:
        parse_range(header, size)
    assert caught.value.status_code == 416
    assert caught.value.headers["Content-Range"] == f"bytes */{size}"


def test_not_modified() -> None:
    modified = datetime(2026, 1, 1, 12, 0, 0, 500_000, tzinfo=UTC)
    check = {"etag": '"abc"', "last_modified": modified}
    assert not_modified(**check, if_none_match='"abc"', if_modified_since=None)
    assert not_modified(**check, if_none_match="*", if_modified_since=None)
    assert not not_modified(**check, if_none_match='"x"', if_modified_since=None)
    since = "Thu, 01 Jan 2026 12:00:00 GMT"
    assert not_modified(**check, if_none_match=None, if_modified_since=since)
    earlier = "Thu, 01 Jan 2026 11:59:59 GMT"
    assert not not_modified(**check, if_none_match=None, if_modified_since=earlier)
    # If-None-Match wins over If-Modified-Since.
    assert not not_modified(**check, if_none_match='"x"', if_modified_since=since)
