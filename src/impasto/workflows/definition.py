"""A workflow definition (fal's ``contents``), checked when it is saved, read by the runtime.

``nodes`` are keyed by id. A ``run`` node (fal's examples also say ``model``) calls
``app`` with ``input``, whose values may be references: ``$input.<field>`` (the workflow's
input) or ``$<node_id>.<path>`` (a node's output, dots indexing into objects and lists:
``$upscale.images.0.url``). An ``output`` node gathers ``fields`` for display and runs
nothing. ``output`` maps the workflow's output names to references; when it is empty, the
output nodes' ``fields`` are the mapping. A node runs once every node it ``depends`` on,
or refers to, has completed.

Everything wrong is reported by name: the node, the reference, the cycle.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from impasto.kit.errors import InvalidRequest

# A letter or "_" first, as a reference's name must start (so "$5" stays a literal).
NODE_ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]{0,127}$"
_NODE_ID = re.compile(NODE_ID_PATTERN)
# A reference: ``$`` then a node id or ``input``, then a dotted path.
_REFERENCE = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_-]*)((?:\.[^.]+)*)$")
INPUT = "input"
RUN_TYPES = frozenset({"run", "model"})
OUTPUT_TYPES = frozenset({"output", "display"})
MAX_NODES = 100
# What of a schema.input field is JSON Schema; the rest (label, ui hints...) is for forms.
_SCHEMA_KEYWORDS = frozenset(
    {
        "type",
        "title",
        "description",
        "default",
        "enum",
        "const",
        "examples",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "pattern",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        "properties",
        "required",
        "additionalProperties",
        "anyOf",
        "oneOf",
        "allOf",
        "nullable",
    }
)


class DefinitionInvalid(InvalidRequest):
    pass


@dataclass(frozen=True, slots=True)
class Reference:
    source: str  # "input", or a node id
    path: tuple[str, ...]
    text: str


@dataclass(frozen=True, slots=True)
class RunNode:
    node_id: str
    app: str
    input: dict[str, Any]
    needs: frozenset[str]  # the nodes it depends on or refers to


@dataclass(frozen=True, slots=True)
class Definition:
    nodes: dict[str, RunNode]  # the run nodes, each after every node it needs
    output: dict[str, Reference]  # output name -> what it is
    input_schema: dict[str, Any]  # the workflow's input as a JSON schema
    output_schema: dict[str, Any]

    @property
    def endpoint_ids(self) -> list[str]:
        return sorted({node.app for node in self.nodes.values()})

    def dependents(self, node_id: str) -> list[RunNode]:
        return [node for node in self.nodes.values() if node_id in node.needs]


def parse_reference(value: Any) -> Reference | None:
    if not isinstance(value, str) or not value.startswith("$"):
        return None
    match = _REFERENCE.fullmatch(value)
    if match is None:
        return None
    path = tuple(part for part in match.group(2).split(".") if part)
    return Reference(source=match.group(1), path=path, text=value)


def references_in(value: Any) -> Iterator[Reference]:
    found = parse_reference(value)
    if found is not None:
        yield found
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from references_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from references_in(item)


def parse_definition(contents: Any) -> Definition:
    """``contents`` as saved, or ``DefinitionInvalid`` saying what is wrong with it."""
    if not isinstance(contents, dict):
        raise DefinitionInvalid("contents must be an object")
    for key in ("name", "version"):
        if not isinstance(contents.get(key), str):
            raise DefinitionInvalid(f"contents.{key} must be a string")
    schema = _object(contents.get("schema"), "contents.schema")
    fields = _object(schema.get("input"), "contents.schema.input")
    output_schema = _object(schema.get("output"), "contents.schema.output")
    raw_nodes = _object(contents.get("nodes"), "contents.nodes")
    if len(raw_nodes) > MAX_NODES:
        raise DefinitionInvalid(f"a workflow has at most {MAX_NODES} nodes")
    nodes: dict[str, RunNode] = {}
    gathered: dict[str, str] = {}
    displays: dict[str, set[str]] = {}
    for node_id, raw in raw_nodes.items():
        kind, node = _node(node_id, raw)
        if kind in OUTPUT_TYPES:
            node_fields = _object(raw.get("fields", {}), f"node {node_id!r}: fields")
            gathered.update(_mapping(node_fields, f"node {node_id!r}: fields"))
            displays[node_id] = set(_depends(node_id, raw))
        else:
            nodes[node_id] = node
    if not nodes:
        raise DefinitionInvalid("contents.nodes has no run node: nothing would run")
    output = _mapping(_object(contents.get("output", {}), "contents.output"), "contents.output")
    _check_references(nodes, displays, fields)
    _check_mapping(gathered, "output field", nodes, fields)
    _check_mapping(output, "output", nodes, fields)
    output = output or gathered
    described = {"type": "object", "properties": output_schema}
    _check_schema(described, "contents.schema.output")
    return Definition(
        nodes=_ordered(nodes),
        output={name: ref for name, ref in _parsed(output)},
        input_schema=_input_schema(fields, nodes, output),
        output_schema=described,
    )


def _node(node_id: str, raw: Any) -> tuple[str, RunNode]:
    if not _NODE_ID.fullmatch(node_id) or node_id == INPUT:
        raise DefinitionInvalid(
            f"node id {node_id[:140]!r} must be 1-128 letters, digits, '_' or '-', starting "
            "with a letter or '_', and not 'input'"
        )
    if not isinstance(raw, dict):
        raise DefinitionInvalid(f"node {node_id!r} must be an object")
    if raw.get("id", node_id) != node_id:
        raise DefinitionInvalid(f"node {node_id!r} has id {raw['id']!r}: they must match")
    kind = raw.get("type")
    if kind not in RUN_TYPES | OUTPUT_TYPES:
        raise DefinitionInvalid(f"node {node_id!r}: type must be 'run' or 'output'")
    app = raw.get("app")
    if kind in RUN_TYPES and (not isinstance(app, str) or not app.strip("/")):
        raise DefinitionInvalid(f"node {node_id!r}: app must be an endpoint id")
    node_input = _object(raw.get("input", {}), f"node {node_id!r}: input")
    needs = set(_depends(node_id, raw))
    needs.update(ref.source for ref in references_in(node_input) if ref.source != INPUT)
    return kind, RunNode(
        node_id=node_id,
        app=str(app).strip("/") if kind in RUN_TYPES else "",
        input=node_input,
        needs=frozenset(needs),
    )


def _depends(node_id: str, raw: dict[str, Any]) -> list[str]:
    depends = raw.get("depends", [])
    if not isinstance(depends, list) or not all(isinstance(item, str) for item in depends):
        raise DefinitionInvalid(f"node {node_id!r}: depends must be a list of node ids")
    return depends


def _check_references(
    nodes: dict[str, RunNode], displays: dict[str, set[str]], fields: dict[str, Any]
) -> None:
    for node in nodes.values():
        for needed in sorted(node.needs):
            if needed not in nodes:
                what = "an output node" if needed in displays else "not a node of this workflow"
                raise DefinitionInvalid(
                    f"node {node.node_id!r} depends on {needed!r}, which is {what}"
                )
        for ref in references_in(node.input):
            _check_reference(f"node {node.node_id!r}", ref, nodes, fields)
    for node_id, depends in displays.items():
        for needed in sorted(depends - nodes.keys()):
            raise DefinitionInvalid(
                f"node {node_id!r} depends on {needed!r}, which is not a run node"
            )


def _check_mapping(
    mapping: dict[str, str], what: str, nodes: dict[str, RunNode], fields: dict[str, Any]
) -> None:
    for name, text in mapping.items():
        parsed = parse_reference(text)
        if parsed is None:
            raise DefinitionInvalid(f"{what} {name!r}: {text!r} is not a reference ($node.path)")
        _check_reference(f"{what} {name!r}", parsed, nodes, fields)


def _check_reference(
    where: str, ref: Reference, nodes: dict[str, RunNode], fields: dict[str, Any]
) -> None:
    if ref.source == INPUT:
        if not ref.path or ref.path[0] not in fields:
            raise DefinitionInvalid(f"{where}: {ref.text} names no field of contents.schema.input")
    elif ref.source not in nodes:
        raise DefinitionInvalid(f"{where}: {ref.text} refers to no run node")


def _parsed(output: dict[str, str]) -> Iterator[tuple[str, Reference]]:
    for name, text in output.items():
        ref = parse_reference(text)
        if ref is not None:  # _check_references made sure of it
            yield name, ref


def _ordered(nodes: dict[str, RunNode]) -> dict[str, RunNode]:
    """The nodes in an order where each comes after what it needs; a cycle is named."""
    done: dict[str, RunNode] = {}
    visiting: list[str] = []

    def visit(node_id: str) -> None:
        if node_id in done:
            return
        if node_id in visiting:
            cycle = [*visiting[visiting.index(node_id) :], node_id]
            raise DefinitionInvalid(f"the nodes {' -> '.join(cycle)} form a cycle")
        visiting.append(node_id)
        for needed in sorted(nodes[node_id].needs):
            visit(needed)
        visiting.pop()
        done[node_id] = nodes[node_id]

    for node_id in nodes:
        visit(node_id)
    return done


def _input_schema(
    fields: dict[str, Any], nodes: dict[str, RunNode], output: dict[str, str]
) -> dict[str, Any]:
    """schema.input as the JSON schema the queue validates inputs with: a field is required
    when it says so, or when something refers to it and it has no default."""
    referred = {
        ref.path[0]
        for node in nodes.values()
        for ref in references_in(node.input)
        if ref.source == INPUT and ref.path
    }
    referred.update(
        ref.path[0]
        for ref in map(parse_reference, output.values())
        if ref is not None and ref.source == INPUT and ref.path
    )
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, given in fields.items():
        spec = _object(given, f"contents.schema.input.{name}")
        properties[name] = {key: value for key, value in spec.items() if key in _SCHEMA_KEYWORDS}
        if not isinstance(properties[name].get("required", []), list):
            del properties[name]["required"]  # a form's "required: true", not JSON Schema's
        flag = spec.get("required")
        if flag is True or (flag is None and name in referred and "default" not in spec):
            required.append(name)
    schema = {"type": "object", "properties": properties, "required": required}
    _check_schema(schema, "contents.schema.input")
    return schema


def _check_schema(schema: dict[str, Any], what: str) -> None:
    import jsonschema

    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        where = ".".join(str(part) for part in exc.path)
        raise DefinitionInvalid(
            f"{what} is not a valid JSON schema at {where or 'its root'}: {exc.message[:200]}"
        ) from None


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DefinitionInvalid(f"{what} must be an object")
    return value


def _mapping(value: dict[str, Any], what: str) -> dict[str, str]:
    for name, text in value.items():
        if not isinstance(text, str):
            raise DefinitionInvalid(f"{what}: {name!r} must be a reference string")
    return dict(value)
