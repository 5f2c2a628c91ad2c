from datetime import UTC, datetime

import pytest

from impasto.catalog import cursor
from impasto.kit.errors import InvalidRequest
from impasto.kit.pagination import decode_cursor, encode_cursor

QUERY = {"mode": "search", "terms": ["flux"]}


def test_round_trip_with_types() -> None:
    when = datetime(2026, 1, 2, tzinfo=UTC)
    token = cursor.issue(QUERY, [3, True, when, "acme/a"])
    assert cursor.read(token, QUERY, ["int", "bool", "datetime", "str"]) == [
        3,
        True,
        when,
        "acme/a",
    ]


def test_other_query_is_rejected() -> None:
    token = cursor.issue(QUERY, [1])
    with pytest.raises(InvalidRequest, match="different query"):
        cursor.read(token, {**QUERY, "terms": ["dev"]}, ["int"])


@pytest.mark.parametrize(
    "position",
    [[2], ["1"], [True], [1 << 63], [1, 2]],
)
def test_edited_or_ill_typed_positions_are_rejected(position: list[object]) -> None:
    raw = decode_cursor(cursor.issue(QUERY, [1]), frozenset({"q", "k", "c"}))
    raw["k"] = position
    with pytest.raises(InvalidRequest):
        cursor.read(encode_cursor(raw), QUERY, ["int"])


def test_position_with_a_matching_checksum_is_still_type_checked() -> None:
    token = cursor.issue(QUERY, ["a\x00b"])
    with pytest.raises(InvalidRequest):
        cursor.read(token, QUERY, ["str"])
