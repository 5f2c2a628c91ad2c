import json
import sys

import pytest

from impasto.kit.http.strict_json import parse_json


@pytest.mark.parametrize(
    ("body", "reason", "position"),
    [
        (b'{"a": NaN}', "NaN is not valid JSON", 6),
        (b'{"NaN": [1, Infinity]}', "Infinity is not valid JSON", 12),
        (b'{"a": -Infinity}', "-Infinity is not valid JSON", 6),
        (b'{"a": 1e999}', "Number 1e999 is out of range", 6),
        (b"[-1" + b"0" * 400 + b".5]", "is out of range", 1),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply", 0),
        (b"[" + b"7" * 5000 + b"]", "more than", 0),
        (b"{not json", "Expecting property name", 1),
    ],
)
def test_what_is_not_json_is_a_decode_error_that_says_why(
    body: bytes, reason: str, position: int
) -> None:
    with pytest.raises(json.JSONDecodeError) as caught:
        parse_json(body)
    assert reason in caught.value.msg
    assert caught.value.pos == position


def test_json_parses_as_the_standard_library_does() -> None:
    doc = {"a": [1, 2.5, -0.0, 1e308, None, True, "NaN"], "b": {"c": "é\u2028"}, "d": 10**40}
    text = json.dumps(doc, ensure_ascii=False)
    assert parse_json(text.encode()) == json.loads(text) == doc
    assert parse_json(text.encode("utf-16")) == doc  # recognised by its BOM, as json.loads does
    assert parse_json(text) == doc
    depth = sys.getrecursionlimit() // 4
    assert parse_json("[" * depth + "]" * depth) is not None


def test_bytes_that_are_not_text_stay_a_unicode_error() -> None:
    # FastAPI answers these with its generic 400, as it always has.
    with pytest.raises(UnicodeDecodeError):
        parse_json(b"\xff{")
