import pytest

from impasto.kit.text import escaped, is_storable, unstorable_at


@pytest.mark.parametrize("value", ["Production Key", "tab\tand newline\n", "émoji 🎨", ""])
def test_storable(value: str) -> None:
    assert is_storable(value)


@pytest.mark.parametrize("value", ["a\x00b", "bell\x07", "\ud800", "x\udfffy", "del\x7f"])
def test_not_storable(value: str) -> None:
    assert not is_storable(value)


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"a": ["ok", {"b": "x\x00"}]}, ("a", 1, "b")),
        ({"a\ud800": 1}, ("a\ud800",)),
        ("\udfff", ()),
        ([1, None, True, 2.5, "fine\n"], None),
    ],
)
def test_unstorable_at(value: object, where: tuple[str | int, ...] | None) -> None:
    assert unstorable_at(value) == where


def test_unstorable_at_can_allow_control_characters() -> None:
    assert unstorable_at({"prompt": "a\x00b"}, controls=False) is None
    assert unstorable_at({"prompt": ["a\ud800b"]}, controls=False) == ("prompt", 0)


def test_escaped_spells_lone_surrogates_and_keeps_other_text() -> None:
    assert escaped("é\ud800x") == "é\\ud800x"
    assert escaped(3) == 3
