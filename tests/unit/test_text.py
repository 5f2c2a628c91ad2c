import pytest

from impasto.kit.text import is_storable


@pytest.mark.parametrize("value", ["Production Key", "tab\tand newline\n", "émoji 🎨", ""])
def test_storable(value: str) -> None:
    assert is_storable(value)


@pytest.mark.parametrize("value", ["a\x00b", "bell\x07", "\ud800", "x\udfffy", "del\x7f"])
def test_not_storable(value: str) -> None:
    assert not is_storable(value)
