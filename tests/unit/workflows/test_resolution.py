"""References become values: paths index objects and lists; what is missing is named."""

from __future__ import annotations

import pytest

from impasto.workflows.definition import parse_reference
from impasto.workflows.resolution import Unresolved, input_with_defaults, lookup, resolve

OUTPUTS = {"gen": {"images": [{"url": "https://x/a.png"}, {"url": "https://x/b.png"}]}}


def test_paths_index_objects_and_lists() -> None:
    value = {"image": "$gen.images.1.url", "all": ["$gen.images.0.url", "literal"], "n": 3}
    assert resolve(value, {}, OUTPUTS) == {
        "image": "https://x/b.png",
        "all": ["https://x/a.png", "literal"],
        "n": 3,
    }


def test_a_literal_dollar_amount_is_not_a_reference() -> None:
    assert parse_reference("$5.00") is None
    assert resolve({"price": "$5.00"}, {}, {}) == {"price": "$5.00"}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("$gen.images.2.url", "gen.images has no '2'"),
        ("$gen.videos", "gen has no 'videos'"),
        ("$gen.images.url", "gen.images has no 'url'"),
        ("$other.x", "node other has no output"),
    ],
)
def test_what_is_missing_is_named(text: str, reason: str) -> None:
    ref = parse_reference(text)
    assert ref is not None
    with pytest.raises(Unresolved) as raised:
        lookup(ref, {}, OUTPUTS)
    assert str(raised.value) == f"{text}: {reason}"


def test_an_input_field_left_out_drops_its_key_and_defaults_fill_in() -> None:
    schema = {"properties": {"steps": {"type": "integer", "default": 4}, "seed": {}}}
    inputs = input_with_defaults(schema, {"prompt": "fox"})
    assert inputs == {"steps": 4, "prompt": "fox"}
    node = {"prompt": "$input.prompt", "steps": "$input.steps", "seed": "$input.seed"}
    assert resolve(node, inputs, {}) == {"prompt": "fox", "steps": 4}
