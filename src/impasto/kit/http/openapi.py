"""OpenAPI fragments shared by Platform API routers: fal's error envelope."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

ErrorType = Literal[
    "authorization_error",
    "validation_error",
    "not_found",
    "rate_limited",
    "server_error",
    "not_implemented",
]


class ErrorDetail(BaseModel):
    type: ErrorType = Field(description="The category of error that occurred")
    message: str = Field(description="Human-readable error message")
    request_id: str | None = Field(default=None, description="Request identifier for debugging")


class ErrorResponse(BaseModel):
    """Standard error response format."""

    error: ErrorDetail


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error("Invalid request parameters"),
    401: _error("Authentication required"),
    403: _error("Access denied"),
    404: _error("Not found"),
    429: {
        **_error("Rate limit exceeded"),
        "headers": {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
        },
    },
    500: _error("Internal server error"),
}


SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'API key must be prefixed with "Key ", e.g. Authorization: Key YOUR_API_KEY',
    },
    "adminApiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'Admin API key must be prefixed with "Key ", '
        "e.g. Authorization: Key YOUR_ADMIN_API_KEY",
    },
}


def platform_openapi(document: dict[str, Any]) -> dict[str, Any]:
    """Adjust FastAPI's document to fal's Platform API conventions.

    Both security schemes are always declared, and ``/v1`` operations answer invalid input
    with 400 ``validation_error`` (never FastAPI's default 422 ``HTTPValidationError``).
    """
    components = document.setdefault("components", {})
    components["securitySchemes"] = SECURITY_SCHEMES
    for path, operations in document.get("paths", {}).items():
        if not path.startswith("/v1"):
            continue
        for operation in operations.values():
            responses = operation.get("responses", {})
            if responses.pop("422", None) is not None and "400" not in responses:
                responses["400"] = {
                    "description": "Invalid request parameters",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/ErrorResponse"}
                        }
                    },
                }
    schemas = components.get("schemas", {})
    text = str(document.get("paths", {}))
    for unused in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{unused}'" not in text:
            schemas.pop(unused, None)
    return document
