"""``expand=openapi-3.0`` documents validate as OpenAPI 3.0, whatever JSON Schema an app's
pydantic models produce."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from openapi_spec_validator import OpenAPIV30SpecValidator
from pydantic import BaseModel, Field

from impasto.catalog.openapi30 import to_openapi30
from impasto.catalog.openapi_doc import queue_openapi
from impasto.models import CatalogEntry


class Size(StrEnum):
    small = "small"
    large = "large"


class Lora(BaseModel):
    path: str = Field(examples=["https://example.com/lora.safetensors"])
    scale: float = Field(default=1.0, gt=0, le=4)


class Input(BaseModel):
    prompt: str = Field(examples=["a fox"], min_length=1)
    seed: int | None = None
    size: Size | None = Size.small
    mode: Literal["fast"] = "fast"
    loras: list[Lora] = Field(default_factory=list, description="LoRA weights")
    pair: tuple[int, str] | None = None
    extra: dict[str, float] = Field(default_factory=dict)
    main: Lora | None = Field(default=None, description="One LoRA")


class Output(BaseModel):
    images: list[dict[str, Any]]
    nothing: None = None


def _entry() -> CatalogEntry:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return CatalogEntry(
        endpoint_id="acme/typed",
        display_name="Typed",
        category="text-to-image",
        description="",
        input_schema=Input.model_json_schema(),
        output_schema=Output.model_json_schema(),
        created_at=now,
        updated_at=now,
    )


def _walk(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        return [node, *(n for value in node.values() for n in _walk(value))]
    if isinstance(node, list):
        return [n for value in node for n in _walk(value)]
    return []


def test_documents_of_pydantic_models_validate_as_openapi_30() -> None:
    document = queue_openapi(_entry(), "http://testserver")
    OpenAPIV30SpecValidator(document).validate()
    schemas = _walk(document["components"]["schemas"])
    assert not any(node.get("type") == "null" for node in schemas)
    assert not any("examples" in node or "const" in node for node in schemas)
    assert not any("$ref" in node and len(node) > 1 for node in schemas)


def test_optional_fields_become_nullable() -> None:
    assert to_openapi30({"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None}) == {
        "allOf": [{"type": "integer"}],
        "nullable": True,
        "default": None,
    }
    assert to_openapi30({"type": ["string", "null"]}) == {"type": "string", "nullable": True}


def test_31_keywords_become_their_30_forms() -> None:
    assert to_openapi30({"const": "fast", "type": "string"}) == {"enum": ["fast"], "type": "string"}
    assert to_openapi30({"type": "number", "exclusiveMinimum": 0, "examples": [1, 2]}) == {
        "type": "number",
        "minimum": 0,
        "exclusiveMinimum": True,
        "example": 1,
    }
    assert to_openapi30({"$ref": "#/components/schemas/A", "description": "why"}) == {
        "description": "why",
        "allOf": [{"$ref": "#/components/schemas/A"}],
    }
    assert to_openapi30({"type": ["string", "integer"]}) == {
        "anyOf": [{"type": "string"}, {"type": "integer"}]
    }
