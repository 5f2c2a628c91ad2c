import pytest

from impasto.kit.text import escaped, is_storable, lone_surrogate_at


@pytest.mark.parametrize("value", ["Production Key", "tab\tand newline\n", "émoji 🎨", ""])
def test_storable(value: str) -> None:
    assert is_storable(value)


@pytest.mark.parametrize("value", ["a\x00b", "bell\x07", "\ud800", "x\udfffy", "del\x7f"])
def test_not_storable(value: str) -> None:
    assert not is_storable(value)


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"a": ["ok", {"b": "x\ud800"}]}, ("a", 1, "b")),
        ({"a\udfff": 1}, ("a\udfff",)),
        ("\udfff", ()),
        ([1, None, True, 2.5, "fine\n", "nul\x00 is encodable"], None),
    ],
)
def test_lone_surrogate_at(value: object, where: tuple[str | int, ...] | None) -> None:
    assert lone_surrogate_at(value) == where


def test_escaped_spells_lone_surrogates_and_keeps_other_text() -> None:
    assert escaped("é\ud800x") == "é\\ud800x"
    assert escaped(3) == 3
