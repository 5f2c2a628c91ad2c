"""JSON Schema as apps register it (pydantic's 2020-12 dialect) -> OpenAPI 3.0 Schema Objects.

``expand=openapi-3.0`` documents say ``openapi: 3.0.x``, whose Schema Object is an older,
stricter subset: no ``{"type": "null"}`` or type lists (``nullable`` instead), one
``example`` rather than ``examples``, ``enum`` rather than ``const``, boolean
``exclusiveMinimum``/``exclusiveMaximum``, no siblings beside ``$ref``, and no 2019+
keywords. Clients generate code from these documents, so they must validate as 3.0.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Keywords OpenAPI 3.0's Schema Object knows; anything else (bar ``x-`` extensions) goes.
_KEPT = {
    "title",
    "multipleOf",
    "maximum",
    "minimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxProperties",
    "minProperties",
    "required",
    "enum",
    "type",
    "description",
    "format",
    "default",
    "readOnly",
    "writeOnly",
    "deprecated",
    "nullable",
    "example",
}
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_TYPES = {"string", "number", "integer", "boolean", "array", "object"}


def to_openapi30(schema: Any) -> Any:
    """A 3.0 Schema Object (or Reference Object) that accepts what ``schema`` accepts, as
    closely as 3.0 can say it; booleans become ``{}`` (anything) and ``{"not": {}}``."""
    if schema is True:
        return {}
    if schema is False:
        return {"not": {}}
    if not isinstance(schema, dict):
        return {}
    if "$ref" in schema:
        ref = {"$ref": schema["$ref"]}
        rest = {key: value for key, value in schema.items() if key != "$ref"}
        if not rest:
            return ref
        # 3.0 ignores a $ref's siblings: keep them by wrapping the reference.
        return to_openapi30({**rest, "allOf": [ref, *rest.get("allOf", [])]})
    out: dict[str, Any] = {}
    nullable = False
    for key, value in schema.items():
        if key.startswith("x-") or key in _KEPT - {"type"}:
            out[key] = value
        elif key in _CONVERTERS:
            nullable = _CONVERTERS[key](out, value) or nullable
        elif key == "examples" and isinstance(value, list) and value:
            out.setdefault("example", value[0])
    nullable = nullable or (isinstance(out.get("enum"), list) and None in out["enum"])
    # Without a type or subschemas, nullable means nothing in 3.0.3: any value already fits.
    if nullable and any(key in out for key in ("type", *_SUBSCHEMA_LISTS)):
        out["nullable"] = True
    if "required" in out and not out["required"]:
        del out["required"]  # 3.0 wants at least one name
    return out


def _type(out: dict[str, Any], value: Any) -> bool:
    types = value if isinstance(value, list) else [value]
    kept = [t for t in types if t in _TYPES]
    if len(kept) == 1:
        out["type"] = kept[0]
    elif len(kept) > 1:
        out.setdefault("anyOf", []).extend({"type": t} for t in kept)
    return "null" in types


def _branches(key: str) -> Callable[[dict[str, Any], Any], bool]:
    def convert(out: dict[str, Any], value: Any) -> bool:
        if not isinstance(value, list):
            return False
        branches = [to_openapi30(b) for b in value if not _is_null(b)]
        if len(branches) == 1 and key != "allOf":
            out.setdefault("allOf", []).extend(branches)  # one branch left: the same constraint
        elif branches:
            out.setdefault(key, []).extend(branches)
        return len(branches) < len(value)

    return convert


def _items(out: dict[str, Any], value: Any) -> bool:
    if isinstance(value, list):  # tuples (draft 7 ``items``, 2020 ``prefixItems``): any item
        out["items"] = {"anyOf": [to_openapi30(v) for v in value]} if value else {}
    else:
        out["items"] = to_openapi30(value)
    return False


def _properties(out: dict[str, Any], value: Any) -> bool:
    if isinstance(value, dict):
        out["properties"] = {name: to_openapi30(sub) for name, sub in value.items()}
    return False


def _additional(out: dict[str, Any], value: Any) -> bool:
    out["additionalProperties"] = value if isinstance(value, bool) else to_openapi30(value)
    return False


def _not(out: dict[str, Any], value: Any) -> bool:
    out["not"] = to_openapi30(value)
    return False


def _const(out: dict[str, Any], value: Any) -> bool:
    out["enum"] = [value]
    return value is None


def _exclusive(bound: str) -> Callable[[dict[str, Any], Any], bool]:
    def convert(out: dict[str, Any], value: Any) -> bool:
        if isinstance(value, bool):
            out[f"exclusive{bound.title()}"] = value
        elif isinstance(value, int | float):
            out[bound] = value
            out[f"exclusive{bound.title()}"] = True
        return False

    return convert


_CONVERTERS: dict[str, Callable[[dict[str, Any], Any], bool]] = {
    "type": _type,
    "allOf": _branches("allOf"),
    "anyOf": _branches("anyOf"),
    "oneOf": _branches("oneOf"),
    "items": _items,
    "prefixItems": _items,
    "properties": _properties,
    "additionalProperties": _additional,
    "not": _not,
    "const": _const,
    "exclusiveMinimum": _exclusive("minimum"),
    "exclusiveMaximum": _exclusive("maximum"),
}


def _is_null(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "null" and len(schema) == 1
