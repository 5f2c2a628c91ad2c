import pytest

from impasto.kit.comma_lists import split_comma_lists, split_commas


@pytest.mark.parametrize(
    ("values", "items"),
    [
        ("a,b", ["a", "b"]),
        (" a , ,b,, ", ["a", "b"]),
        ("", []),
        (",", []),
        (["a,b", "c", " ", "b"], ["a", "b", "c", "b"]),  # order kept, duplicates too
        ([], []),
    ],
)
def test_split_commas(values: str | list[str], items: list[str]) -> None:
    assert split_commas(values) == items


def test_the_query_validator_splits_lists_only() -> None:
    assert split_comma_lists(["a,b", "c"]) == ["a", "b", "c"]
    assert split_comma_lists("a,b") == "a,b"  # left to the field's own validation
    assert split_comma_lists(None) is None
