"""fal's Platform API spec (``../shared/reference`` or ``IMPASTO_FAL_SPEC``), to validate
our answers against fal's own response schemas."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

_CANDIDATES = [
    os.environ.get("IMPASTO_FAL_SPEC", ""),
    str(Path(__file__).resolve().parents[2] / "shared" / "reference" / "fal-platform-openapi.json"),
]


@functools.cache
def fal_spec() -> dict[str, Any]:
    for candidate in _CANDIDATES:
        if candidate and Path(candidate).is_file():
            spec: dict[str, Any] = json.loads(Path(candidate).read_text())
            return spec
    pytest.skip("fal's Platform API spec is not on this machine (IMPASTO_FAL_SPEC)")


def response_schema(operation_id: str, status: str = "200") -> dict[str, Any]:
    for item in fal_spec()["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                content = operation["responses"][status]["content"]
                schema: dict[str, Any] = next(iter(content.values()))["schema"]
                return schema
    raise KeyError(operation_id)


def assert_fal_shape(operation_id: str, body: Any, status: str = "200") -> None:
    """``body`` validates against fal's documented response of ``operation_id``."""
    validator = Draft202012Validator(response_schema(operation_id, status))
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
