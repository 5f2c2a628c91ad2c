from typing import Any

import pytest
from pydantic import BaseModel, Field, JsonValue

from impasto.kit.errors import RequestValidationFailed
from impasto.sdk import Image
from impasto.sdk.validation import (
    MAX_INPUT_DEPTH,
    InputInvalid,
    check_model_payload,
    check_payload,
    input_limits_detail,
    schema_detail,
    validate_input,
)


class Inp(BaseModel):
    prompt: str
    steps: int = Field(default=4, ge=1, le=50)
    image: Image | None = None


SCHEMA = Inp.model_json_schema(mode="validation")


def test_pydantic_errors_read_like_fastapis() -> None:
    with pytest.raises(InputInvalid) as caught:
        validate_input(Inp, {"steps": 0})
    detail = caught.value.detail
    assert [d["loc"] for d in detail] == [["body", "prompt"], ["body", "steps"]]
    assert [d["type"] for d in detail] == ["missing", "greater_than_equal"]
    assert detail[1]["ctx"] == {"ge": 1}
    assert detail[1]["input"] == 0
    assert caught.value.body() == {"detail": detail}
    assert str(caught.value) == "prompt: Field required (and 1 more)"


def test_a_payload_that_is_not_an_object_is_a_validation_error() -> None:
    with pytest.raises(InputInvalid) as caught:
        validate_input(Inp, ["not", "an", "object"])
    assert caught.value.detail[0]["loc"] == ["body"]


@pytest.mark.parametrize(
    "payload",
    [
        {"prompt": "x"},
        {"prompt": "x", "steps": 50, "image": "https://example.com/a.png"},
        {"prompt": "x", "image": {"url": "data:image/png;base64,AAAA", "width": 1}},
    ],
)
def test_schema_and_model_agree_on_good_input(payload: dict[str, Any]) -> None:
    assert schema_detail(SCHEMA, payload) == []
    check_payload(SCHEMA, payload)
    check_model_payload(Inp, payload)


@pytest.mark.parametrize(
    ("payload", "loc", "kind"),
    [
        ({}, ["body", "prompt"], "missing"),
        ({"prompt": 3}, ["body", "prompt"], "string_type"),
        ({"prompt": "x", "steps": 51}, ["body", "steps"], "less_than_equal"),
        ({"prompt": "x", "image": 5}, ["body", "image"], "value_error"),
    ],
)
def test_schema_validation_reports_like_pydantic(
    payload: dict[str, Any], loc: list[str], kind: str
) -> None:
    detail = schema_detail(SCHEMA, payload)
    assert detail[0]["loc"] == loc
    assert detail[0]["type"] == kind
    with pytest.raises(RequestValidationFailed) as caught:
        check_payload(SCHEMA, payload)
    assert caught.value.detail == detail
    with pytest.raises(RequestValidationFailed):
        check_model_payload(Inp, payload)


def _nested(depth: int) -> Any:
    """``depth`` levels in all: the object, then lists."""
    value: Any = []
    for _ in range(depth - 2):
        value = [value]
    return {"prompt": "x", "extra": value}


def test_input_limits_come_before_the_schema() -> None:
    check_payload(SCHEMA, _nested(MAX_INPUT_DEPTH))
    for depth in (MAX_INPUT_DEPTH + 1, 100_000):
        with pytest.raises(RequestValidationFailed) as caught:  # no RecursionError
            check_payload(SCHEMA, _nested(depth))
        [item] = caught.value.detail or []
        assert item["type"] == "json_too_deep"
        assert item["loc"] == ["body", "extra", *[0] * (MAX_INPUT_DEPTH - 1)]
    with pytest.raises(RequestValidationFailed) as caught:
        check_payload(SCHEMA, {"prompt": "x" * 100}, max_bytes=100)
    assert (caught.value.detail or [{}])[0]["type"] == "json_too_large"
    check_payload(SCHEMA, {"prompt": "x" * 100}, max_bytes=115)


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf"), float("1e999")])
def test_numbers_json_cannot_carry_are_refused(number: float) -> None:
    assert input_limits_detail({"prompt": "x", "steps": [1, number]}) == [
        {
            "loc": ["body", "steps", 1],
            "msg": "Input should be a finite number",
            "type": "finite_number",
        }
    ]


def test_a_validation_error_that_cannot_be_described_in_full_still_is() -> None:
    """pydantic cannot serialise a 600-level input into its own error: the runner used to
    die trying. The error goes without its ``input`` instead."""

    class Loose(BaseModel):
        extra: JsonValue

    with pytest.raises(InputInvalid) as caught:
        validate_input(Loose, _nested(600))
    [item] = caught.value.detail
    assert item["loc"][:2] == ["body", "extra"]
    assert "input" not in item
    with pytest.raises(InputInvalid) as surrogate:
        validate_input(Inp, {"prompt": ["\ud800"]})
    assert "input" not in surrogate.value.detail[0]
