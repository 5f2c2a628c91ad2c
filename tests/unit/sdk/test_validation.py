from typing import Any

import pytest
from pydantic import BaseModel, Field

from impasto.kit.errors import RequestValidationFailed
from impasto.sdk import Image
from impasto.sdk.validation import (
    InputInvalid,
    check_model_payload,
    check_payload,
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
