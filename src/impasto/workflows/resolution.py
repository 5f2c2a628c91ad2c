"""Turning a node's input, or the workflow's output mapping, into values: each reference is
replaced by what it points at in the run's input or in a completed node's output."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from impasto.workflows.definition import INPUT, Reference, parse_reference


class Unresolved(Exception):
    """A reference that points at nothing in this run (``source``: the node or "input")."""

    def __init__(self, reference: Reference, reason: str) -> None:
        super().__init__(f"{reference.text}: {reason}")
        self.reference = reference


def input_with_defaults(schema: Mapping[str, Any], given: Any) -> dict[str, Any]:
    """The run's input, with each field it left out that schema.input gives a default."""
    values = {
        name: spec["default"]
        for name, spec in schema.get("properties", {}).items()
        if isinstance(spec, dict) and "default" in spec
    }
    if isinstance(given, dict):
        values.update(given)
    return values


def resolve(value: Any, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> Any:
    """``value`` with every reference replaced; an optional input field the run left out
    (``"key": "$input.field"``) leaves its key out too."""
    ref = parse_reference(value)
    if ref is not None:
        return lookup(ref, inputs, outputs)
    if isinstance(value, dict):
        resolved: dict[str, Any] = {}
        for key, item in value.items():
            inner = parse_reference(item)
            if inner is not None and _absent_input(inner, inputs):
                continue
            resolved[key] = resolve(item, inputs, outputs)
        return resolved
    if isinstance(value, list):
        return [resolve(item, inputs, outputs) for item in value]
    return value


def lookup(ref: Reference, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> Any:
    if ref.source == INPUT:
        current: Any = inputs
    elif ref.source in outputs:
        current = outputs[ref.source]
    else:
        raise Unresolved(ref, f"node {ref.source} has no output")
    where = ref.source
    for step in ref.path:
        if isinstance(current, dict) and step in current:
            current = current[step]
        elif isinstance(current, list) and step.isdigit() and int(step) < len(current):
            current = current[int(step)]
        else:
            raise Unresolved(ref, f"{where} has no {step!r}")
        where = f"{where}.{step}"
    return current


def _absent_input(ref: Reference, inputs: Mapping[str, Any]) -> bool:
    return ref.source == INPUT and len(ref.path) == 1 and ref.path[0] not in inputs
