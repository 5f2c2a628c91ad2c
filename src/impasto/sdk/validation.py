"""Input validation with fal's (FastAPI's) 422 body: ``{"detail": [{"loc", "msg", "type"}]}``.

The runner validates against the endpoint's pydantic model; the API side, which may not be
able to import the app, validates against the stored JSON schema before queueing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python

from impasto.kit.errors import RequestValidationFailed
from impasto.kit.text import escaped, lone_surrogate_at

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError as SchemaError

M = TypeVar("M", bound=BaseModel)

# JSON Schema keywords -> pydantic's error types, so both validators read alike.
_SCHEMA_TYPES = {
    "required": "missing",
    "additionalProperties": "extra_forbidden",
    "enum": "enum",
    "const": "literal_error",
    "minimum": "greater_than_equal",
    "exclusiveMinimum": "greater_than",
    "maximum": "less_than_equal",
    "exclusiveMaximum": "less_than",
    "minLength": "string_too_short",
    "maxLength": "string_too_long",
    "pattern": "string_pattern_mismatch",
    "minItems": "too_short",
    "maxItems": "too_long",
}
_JSON_TYPES = {
    "string": "string_type",
    "integer": "int_type",
    "number": "float_type",
    "boolean": "bool_type",
    "array": "list_type",
    "object": "dict_type",
    "null": "none_required",
}
MAX_ERRORS = 50


class InputInvalid(Exception):
    """Raised with the ``detail`` list when a payload does not match an endpoint's input."""

    def __init__(self, detail: list[dict[str, Any]]) -> None:
        super().__init__(summarize(detail))
        self.detail = detail

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail}


def validation_detail(exc: ValidationError) -> list[dict[str, Any]]:
    """pydantic errors as FastAPI lists them for a body, JSON-safe."""
    detail: list[dict[str, Any]] = []
    for error in exc.errors(include_url=False)[:MAX_ERRORS]:
        item: dict[str, Any] = {
            "loc": ["body", *error["loc"]],
            "msg": error["msg"],
            "type": error["type"],
        }
        if "input" in error:
            item["input"] = to_jsonable_python(error["input"], fallback=str)
        if error.get("ctx"):
            item["ctx"] = to_jsonable_python(error["ctx"], fallback=str)
        detail.append(item)
    return detail


def validate_input(model: type[M], payload: Any) -> M:
    """Validate a JSON payload (already decoded) into ``model`` or raise ``InputInvalid``."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise InputInvalid(validation_detail(exc)) from None


def unencodable_detail(payload: Any) -> list[dict[str, Any]]:
    """A lone surrogate could be queued but never sent to a runner: refused at submit."""
    where = lone_surrogate_at(payload)
    if where is None:
        return []
    return [
        {
            "loc": ["body", *map(escaped, where)],
            "msg": "Input should be a valid string, unable to parse raw data as a unicode string",
            "type": "string_unicode",
        }
    ]


def schema_detail(schema: dict[str, Any], payload: Any) -> list[dict[str, Any]]:
    """Errors of ``payload`` against a stored JSON schema (draft 2020-12), as a detail list."""
    import jsonschema  # only the API side needs it; runners start faster without

    validator = jsonschema.Draft202012Validator(schema)
    detail: list[dict[str, Any]] = []
    for error in sorted(validator.iter_errors(payload), key=lambda e: list(e.absolute_path)):
        detail.append(_schema_error(error))
        if len(detail) >= MAX_ERRORS:
            break
    return detail


def check_payload(schema: dict[str, Any], payload: Any) -> None:
    """Raise ``RequestValidationFailed`` (422 on run surfaces) if ``payload`` does not fit."""
    detail = unencodable_detail(payload) or schema_detail(schema, payload)
    if detail:
        raise RequestValidationFailed(summarize(detail), detail=detail)


def check_model_payload(model: type[BaseModel], payload: Any) -> None:
    try:
        validate_input(model, payload)
    except InputInvalid as exc:
        raise RequestValidationFailed(str(exc), detail=exc.detail) from None


def summarize(detail: list[dict[str, Any]]) -> str:
    if not detail:
        return "Invalid input"
    first = detail[0]
    where = ".".join(str(part) for part in first["loc"][1:]) or "body"
    more = f" (and {len(detail) - 1} more)" if len(detail) > 1 else ""
    return f"{where}: {first['msg']}{more}"


def _schema_error(error: SchemaError) -> dict[str, Any]:
    loc: list[Any] = ["body", *error.absolute_path]
    keyword = str(error.validator)
    kind = _SCHEMA_TYPES.get(keyword, "value_error")
    msg = error.message
    if keyword == "required" and isinstance(error.instance, dict):
        required: Any = error.validator_value
        missing = [k for k in required if k not in error.instance]
        if missing:
            loc.append(missing[0])
            msg = "Field required"
    elif keyword == "type":
        expected = error.validator_value
        first = expected[0] if isinstance(expected, list) and expected else expected
        kind = _JSON_TYPES.get(str(first), "type_error")
    item: dict[str, Any] = {"loc": loc, "msg": msg, "type": kind}
    if keyword != "required":
        item["input"] = to_jsonable_python(error.instance, fallback=str)
    return item
