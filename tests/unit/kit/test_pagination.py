import pytest

from impasto.kit.errors import InvalidRequest
from impasto.kit.pagination import decode_cursor, encode_cursor


def test_round_trip() -> None:
    cursor = encode_cursor({"after": "abc", "n": 2})
    assert decode_cursor(cursor, frozenset({"after"})) == {"after": "abc", "n": 2}


@pytest.mark.parametrize(
    "cursor",
    ["", "!!!", "Mg==", encode_cursor({"other": 1}), "e30", "a" * 2000, "ÿÿ"],
)
def test_foreign_cursors_are_rejected(cursor: str) -> None:
    with pytest.raises(InvalidRequest):
        decode_cursor(cursor, frozenset({"after"}))
