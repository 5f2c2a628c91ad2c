import json
import math

import pytest

from impasto.kit.text import (
    Flaw,
    FlawKind,
    escaped,
    is_storable,
    json_flaw,
    lone_surrogate_at,
    storable_text,
    unstorable_json,
)


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


def _compact(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


SIZED = [
    {"a": [1, 2.5, 'x\n"é\u0001', None, True, False, {"k": []}], "b": {}},
    [],
    "ü",
    12345678901234567890,
    -0.0,
    {"ключ": "🎨"},
]


@pytest.mark.parametrize("value", SIZED)
def test_json_flaw_counts_bytes_as_compact_json(value: object) -> None:
    assert json_flaw(value, max_bytes=_compact(value)) is None
    assert json_flaw(value, max_bytes=_compact(value) - 1) == Flaw(FlawKind.TOO_LARGE, ())


@pytest.mark.parametrize(
    ("value", "flaw"),
    [
        ({"a": [1, {"b": math.nan}], "c": "\ud800"}, Flaw(FlawKind.NOT_FINITE, ("a", 1, "b"))),
        ([math.inf], Flaw(FlawKind.NOT_FINITE, (0,))),
        ({"a": "ok", "b\udfff": 1}, Flaw(FlawKind.LONE_SURROGATE, ("b\udfff",))),
        ({"x": b"bytes"}, Flaw(FlawKind.NOT_JSON, ("x",))),
        ({"x": {1: "int key"}}, Flaw(FlawKind.NOT_JSON, ("x", 1))),
        ([(1, 2)], Flaw(FlawKind.NOT_JSON, (0,))),
        ({"fine": [None, True, "nul\x00 is JSON"]}, None),
    ],
)
def test_json_flaw_finds_the_first_flaw_in_document_order(value: object, flaw: Flaw | None) -> None:
    assert json_flaw(value) == flaw


def test_json_flaw_walks_any_depth_without_recursion() -> None:
    deep: object = []
    for _ in range(100_000):
        deep = [deep]
    assert json_flaw([[]], max_depth=2) is None
    assert json_flaw([[]], max_depth=1) == Flaw(FlawKind.TOO_DEEP, (0,))
    flaw = json_flaw({"p": deep}, max_depth=64)
    assert flaw == Flaw(FlawKind.TOO_DEEP, ("p", *[0] * 63))
    assert json_flaw({"p": deep}) is None  # no limit asked for: deep is not a flaw


def test_unstorable_json_and_storable_text() -> None:
    assert unstorable_json({"a": [1.5, "x"]}) is None
    assert unstorable_json({"a": [1.5, math.nan]}) == Flaw(FlawKind.NOT_FINITE, ("a", 1))
    cycle: list[object] = []
    cycle.append(cycle)
    assert unstorable_json(cycle) == Flaw(FlawKind.TOO_DEEP, (0,) * 1000)
    assert storable_text("plain") == "plain"
    assert storable_text("nul\x00 \ud800") == "nul\\x00 \\ud800"
