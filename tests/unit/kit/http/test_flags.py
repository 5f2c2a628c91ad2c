import pytest

from impasto.kit.errors import InvalidRequest
from impasto.kit.http.flags import parse_flag

WORDS = {"true": {"1", "true"}, "false": {"0", "false", ""}}


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, True), ("1", True), (" TRUE ", True), ("0", False), ("False", False), ("", False)],
)
def test_words_are_read_case_insensitively(value: str | None, expected: bool) -> None:
    assert parse_flag(value, default=True, **WORDS, error="x must be 1 or 0") is expected


@pytest.mark.parametrize("value", ["yes", "2", "tru e"])
def test_other_words_are_a_400_with_the_surfaces_message(value: str) -> None:
    with pytest.raises(InvalidRequest, match="x must be 1 or 0"):
        parse_flag(value, default=False, **WORDS, error="x must be 1 or 0")
