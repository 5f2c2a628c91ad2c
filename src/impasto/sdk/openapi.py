"""An app's OpenAPI document, shaped like the one fal's SDK sends at deploy (§8.2).

POST operations per endpoint with the input model as the request body, the output model as
the 200 response and FastAPI's 422 validation list; ``GET /health``; ``x-fal-order-paths``
and ``x-fal-order-properties`` so tools keep declaration order.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from impasto.sdk.app import App

_REF = "#/components/schemas/{model}"

_VALIDATION_ERROR: dict[str, Any] = {
    "properties": {
        "loc": {
            "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
            "type": "array",
            "title": "Location",
        },
        "msg": {"type": "string", "title": "Message"},
        "type": {"type": "string", "title": "Error Type"},
    },
    "type": "object",
    "required": ["loc", "msg", "type"],
    "title": "ValidationError",
}
_HTTP_VALIDATION_ERROR: dict[str, Any] = {
    "properties": {
        "detail": {
            "items": {"$ref": "#/components/schemas/ValidationError"},
            "type": "array",
            "title": "Detail",
        }
    },
    "type": "object",
    "title": "HTTPValidationError",
}


def openapi(app: type[App], *, version: str = "0.1.0") -> dict[str, Any]:
    specs = app.endpoints()
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = []
    for spec in specs:
        if spec.takes_input:
            wanted.append((spec.input_model, "validation"))
        wanted.append((spec.output_model, "serialization"))
    refs, defs = models_json_schema(list(dict.fromkeys(wanted)), ref_template=_REF)
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    schemas["ValidationError"] = _VALIDATION_ERROR
    schemas["HTTPValidationError"] = _HTTP_VALIDATION_ERROR
    for schema in schemas.values():
        _order_properties(schema)

    paths: dict[str, Any] = {}
    for spec in specs:
        output = refs[(spec.output_model, "serialization")]
        media: Literal["application/json", "text/event-stream"] = (
            "text/event-stream" if spec.streaming else "application/json"
        )
        operation: dict[str, Any] = {
            "summary": spec.attribute.replace("_", " ").title(),
            "operationId": f"{spec.attribute}_post",
            "responses": {
                "200": {
                    "description": "Successful Response",
                    "content": {media: {"schema": output}},
                },
                "422": {
                    "description": "Validation Error",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/HTTPValidationError"}
                        }
                    },
                },
            },
        }
        if spec.takes_input:
            operation["requestBody"] = {
                "content": {"application/json": {"schema": refs[(spec.input_model, "validation")]}},
                "required": True,
            }
        paths[spec.path] = {"post": operation}
    paths["/health"] = {
        "get": {
            "summary": "Health",
            "operationId": "health_health_get",
            "responses": {
                "200": {
                    "description": "Successful Response",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": app.app_name, "version": version},
        "paths": paths,
        "components": {"schemas": schemas},
        "x-fal-order-paths": list(paths),
    }


def _order_properties(schema: dict[str, Any]) -> None:
    if isinstance(schema.get("properties"), dict):
        schema["x-fal-order-properties"] = list(schema["properties"])
    for part in schema.get("allOf", []):
        if isinstance(part, dict):
            _order_properties(part)
