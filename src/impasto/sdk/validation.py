"""Input validation with fal's (FastAPI's) 422 body: ``{"detail": [{"loc", "msg", "type"}]}``.

The runner validates against the endpoint's pydantic model; the API side, which may not be
able to import the app, validates against the stored JSON schema before queueing. Before
any schema, every input passes the same limits (``input_limits_detail``): at most
``MAX_INPUT_DEPTH`` levels of nesting, at most the configured size as JSON, no NaN or
Infinity, no lone surrogate, nothing but JSON values; so that what is queued can always be
stored, sent to a runner and validated there without taking the runner down.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python

from impasto.kit.errors import RequestValidationFailed
from impasto.kit.text import Flaw, FlawKind, escaped, json_flaw

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
# Deep enough for any real model input (fal's own schemas nest a few levels), and far from
# where pydantic (255 levels) and Python's json (about 1000) give up.
MAX_INPUT_DEPTH = 64
# The largest input as compact JSON, unless told otherwise: room for a data: URI of
# IMPASTO_DATA_URI_MAX_BYTES (10 MiB decoded, 13.4 MiB as base64). The queue uses
# IMPASTO_MAX_JSON_BODY_BYTES (the same by default), so that every surface agrees.
MAX_INPUT_BYTES = 16 * 1024 * 1024


class InputInvalid(Exception):
    """Raised with the ``detail`` list when a payload does not match an endpoint's input."""

    def __init__(self, detail: list[dict[str, Any]]) -> None:
        super().__init__(summarize(detail))
        self.detail = detail

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail}


def validation_detail(exc: ValidationError) -> list[dict[str, Any]]:
    """pydantic errors as FastAPI lists them for a body, JSON-safe.

    An error's ``input`` or ``ctx`` that cannot be made JSON (nested deeper than pydantic's
    serialiser goes, NaN, a lone surrogate...) is left out rather than failing the answer.
    """
    detail: list[dict[str, Any]] = []
    for error in exc.errors(include_url=False)[:MAX_ERRORS]:
        item: dict[str, Any] = {
            "loc": ["body", *map(_loc_part, error["loc"])],
            "msg": str(escaped(error["msg"])),
            "type": error["type"],
        }
        if "input" in error:
            _put_jsonable(item, "input", error["input"])
        if error.get("ctx"):
            _put_jsonable(item, "ctx", error.get("ctx"))
        detail.append(item)
    return detail


def _put_jsonable(item: dict[str, Any], key: str, value: Any) -> None:
    try:
        jsonable = to_jsonable_python(value, fallback=str)
    except (ValueError, TypeError, RecursionError):
        return
    if json_flaw(jsonable, max_depth=MAX_INPUT_DEPTH) is None:
        item[key] = jsonable


def _loc_part(part: str | int) -> str | int:
    return escaped(part) if isinstance(part, str) else part


def validate_input(model: type[M], payload: Any) -> M:
    """Validate a JSON payload (already decoded) into ``model`` or raise ``InputInvalid``."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise InputInvalid(validation_detail(exc)) from None


def input_limits_detail(
    payload: Any, *, max_depth: int = MAX_INPUT_DEPTH, max_bytes: int | None = MAX_INPUT_BYTES
) -> list[dict[str, Any]]:
    """What keeps ``payload`` from being queued, stored and sent to a runner, as a one-item
    detail list (or ``[]``). Checked before any schema: a schema validator recurses."""
    flaw = json_flaw(payload, max_depth=max_depth, max_bytes=max_bytes)
    if flaw is None:
        return []
    return [flaw_detail(flaw, max_depth=max_depth, max_bytes=max_bytes)]


def too_deep_detail(max_depth: int = MAX_INPUT_DEPTH) -> list[dict[str, Any]]:
    """The answer for a body too deep to decode at all (Python's json gives up first)."""
    return [flaw_detail(Flaw(FlawKind.TOO_DEEP, ()), max_depth=max_depth, max_bytes=None)]


def flaw_detail(flaw: Flaw, *, max_depth: int, max_bytes: int | None) -> dict[str, Any]:
    loc = ["body", *map(_loc_part, flaw.where)]
    if flaw.kind is FlawKind.TOO_DEEP:
        msg = f"Input should be nested at most {max_depth} levels deep"
        return {"loc": loc, "msg": msg, "type": "json_too_deep", "ctx": {"max_depth": max_depth}}
    if flaw.kind is FlawKind.TOO_LARGE:
        msg = f"Input should be at most {max_bytes} bytes as JSON"
        return {"loc": loc, "msg": msg, "type": "json_too_large", "ctx": {"max_bytes": max_bytes}}
    if flaw.kind is FlawKind.NOT_FINITE:
        # pydantic's own words for NaN and Infinity; JSON has neither.
        return {"loc": loc, "msg": "Input should be a finite number", "type": "finite_number"}
    if flaw.kind is FlawKind.LONE_SURROGATE:
        return {
            "loc": loc,
            "msg": "Input should be a valid string, unable to parse raw data as a unicode string",
            "type": "string_unicode",
        }
    msg = "Input should be a JSON value: an object, array, string, number, boolean or null"
    return {"loc": loc, "msg": msg, "type": "json_invalid"}


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


def check_payload(
    schema: dict[str, Any],
    payload: Any,
    *,
    max_depth: int = MAX_INPUT_DEPTH,
    max_bytes: int | None = MAX_INPUT_BYTES,
) -> None:
    """Raise ``RequestValidationFailed`` (422 on run surfaces) if ``payload`` does not fit
    the input limits or the schema."""
    detail = input_limits_detail(payload, max_depth=max_depth, max_bytes=max_bytes)
    if not detail:
        detail = schema_detail(schema, payload)
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
