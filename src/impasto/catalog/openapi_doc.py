"""Per-model "Queue OpenAPI" documents, shaped like fal's (``expand=openapi-3.0``).

Paths are this server's queue protocol for the endpoint; the input and output schemas are
the ones the app registered (a generic object while none is known). JSON Schema ``$defs``
move to ``components.schemas`` and their references follow; every schema is rewritten in
OpenAPI 3.0's dialect (``openapi30.py``), as the document's version says.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from impasto.catalog.openapi30 import to_openapi30
from impasto.models import CatalogEntry
from impasto.sdk.validation import MAX_INPUT_DEPTH

GENERIC_OBJECT: dict[str, Any] = {"type": "object", "additionalProperties": True}
_JSON = "application/json"


def _schema_name(endpoint_id: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+", endpoint_id.split("/", 1)[-1])
    return "".join(word[:1].upper() + word[1:] for word in words if word) or "Model"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                out[key] = re.sub(r"^#/(\$defs|definitions)/", "#/components/schemas/", value)
            else:
                out[key] = _rewrite_refs(value)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item) for item in node]
    return node


def _hoist(schema: dict[str, Any] | None, components: dict[str, Any]) -> dict[str, Any]:
    if not schema:
        return dict(GENERIC_OBJECT)
    schema = copy.deepcopy(schema)
    for key in ("$defs", "definitions"):
        defs = schema.pop(key, None)
        if isinstance(defs, dict):
            for name, definition in defs.items():
                components.setdefault(str(name), to_openapi30(_rewrite_refs(definition)))
    schema.pop("$schema", None)
    return to_openapi30(_rewrite_refs(schema))  # type: ignore[no-any-return]


def _queue_status() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]},
            "request_id": {"type": "string", "description": "The request id."},
            "response_url": {"type": "string", "description": "The response url."},
            "status_url": {"type": "string", "description": "The status url."},
            "cancel_url": {"type": "string", "description": "The cancel url."},
            "logs": {"type": "object", "additionalProperties": True},
            "metrics": {"type": "object", "additionalProperties": True},
            "queue_position": {"type": "integer"},
        },
        "required": ["status", "request_id"],
    }


def _validation_error() -> dict[str, Any]:
    """fal's (FastAPI's) 422 body, inline: an app may name one of its own models
    ``ValidationError``, and ``components.schemas`` holds the app's models."""
    item = {
        "type": "object",
        "properties": {
            "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
            "msg": {"type": "string"},
            "type": {"type": "string"},
        },
        "required": ["loc", "msg", "type"],
    }
    return {"type": "object", "properties": {"detail": {"type": "array", "items": item}}}


INVALID_INPUT = (
    "The input does not fit: fal's validation list, one item per problem with the field's "
    f"`loc`. Every input is also limited, before the schema: at most {MAX_INPUT_DEPTH} levels "
    "of nesting (`json_too_deep`), at most the server's JSON body limit as compact JSON "
    "(`json_too_large`), finite numbers only, no NaN or Infinity (`finite_number`), and no "
    "lone surrogates (`string_unicode`)."
)


def _json_response(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {_JSON: {"schema": schema}}}


def queue_openapi(entry: CatalogEntry, base_url: str) -> dict[str, Any]:
    """The OpenAPI 3.0 document for calling ``entry`` through this server's queue."""
    endpoint_id = entry.endpoint_id
    name = _schema_name(endpoint_id)
    schemas: dict[str, Any] = {"QueueStatus": _queue_status()}
    schemas[f"{name}Input"] = _hoist(entry.input_schema, schemas)
    schemas[f"{name}Output"] = _hoist(entry.output_schema, schemas)
    request_id = {
        "name": "request_id",
        "in": "path",
        "required": True,
        "description": "Request ID",
        "schema": {"type": "string"},
    }
    status = _json_response(_ref("QueueStatus"), "The request status.")
    base = f"/{endpoint_id}/requests/{{request_id}}"
    paths: dict[str, Any] = {
        f"/{endpoint_id}": {
            "post": {
                "requestBody": {
                    "required": True,
                    "content": {_JSON: {"schema": _ref(f"{name}Input")}},
                },
                "responses": {
                    "200": status,
                    "422": _json_response(_validation_error(), INVALID_INPUT),
                },
            }
        },
        f"{base}/status": {
            "get": {
                "parameters": [
                    request_id,
                    {
                        "name": "logs",
                        "in": "query",
                        "required": False,
                        "description": "Include logs (`1`) in the response or not (`0`).",
                        "schema": {"type": "number"},
                    },
                ],
                "responses": {"200": status},
            }
        },
        f"{base}/status/stream": {
            "get": {
                "parameters": [request_id],
                "responses": {
                    "200": {
                        "description": "Server-sent events with the request status.",
                        "content": {"text/event-stream": {"schema": _ref("QueueStatus")}},
                    }
                },
            }
        },
        f"{base}/cancel": {
            "put": {
                "parameters": [request_id],
                "responses": {
                    "200": _json_response(
                        {
                            "type": "object",
                            "properties": {
                                "success": {
                                    "type": "boolean",
                                    "description": "Whether the request was cancelled.",
                                }
                            },
                        },
                        "The request was cancelled.",
                    )
                },
            }
        },
        base: {
            "get": {
                "parameters": [request_id],
                "responses": {
                    "200": _json_response(_ref(f"{name}Output"), "Result of the request.")
                },
            }
        },
    }
    root = base_url.rstrip("/")
    return {
        "openapi": "3.0.4",
        "info": {
            "title": f"Queue OpenAPI for {endpoint_id}",
            "version": "1.0.0",
            "description": entry.description or entry.display_name,
            "x-fal-metadata": {
                "endpointId": endpoint_id,
                "category": entry.category,
                "thumbnailUrl": entry.thumbnail_url,
                "playgroundUrl": f"{root}/run/{endpoint_id}",
                "documentationUrl": f"{root}/v1/models?endpoint_id={endpoint_id}",
            },
        },
        "servers": [{"url": f"{root}/queue"}],
        "security": [{"apiKeyAuth": []}],
        "components": {
            "securitySchemes": {
                "apiKeyAuth": {"type": "apiKey", "in": "header", "name": "Authorization"}
            },
            "schemas": schemas,
        },
        "paths": paths,
    }
