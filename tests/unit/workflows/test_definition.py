"""Definitions are checked when saved, and every mistake is named."""

from __future__ import annotations

from typing import Any

import pytest

from impasto.workflows.definition import DefinitionInvalid, parse_definition


def _contents(nodes: dict[str, Any], output: dict[str, Any] | None = None, **schema: Any) -> Any:
    return {
        "name": "t",
        "version": "1.0.0",
        "nodes": nodes,
        "output": output if output is not None else {},
        "schema": {"input": schema.get("fields", {"word": {"type": "string"}}), "output": {}},
    }


def _run(app: str = "impasto/debug", **node: Any) -> dict[str, Any]:
    return {"type": "run", "app": app, **node}


def _invalid(contents: Any) -> str:
    with pytest.raises(DefinitionInvalid) as raised:
        parse_definition(contents)
    return raised.value.message


def test_nodes_come_after_what_they_need_whatever_the_order_given() -> None:
    definition = parse_definition(
        _contents(
            {
                "c": _run(input={"x": "$b.payload"}),
                "b": _run(depends=["a"]),
                "a": _run(input={"payload": "$input.word"}),
            },
            {"out": "$c.payload"},
        )
    )
    assert list(definition.nodes) == ["a", "b", "c"]
    assert definition.nodes["c"].needs == {"b"}  # a reference is a dependency too
    assert definition.endpoint_ids == ["impasto/debug"]
    assert [node.node_id for node in definition.dependents("a")] == ["b"]


def test_a_cycle_is_named() -> None:
    message = _invalid(_contents({"a": _run(depends=["b"]), "b": _run(input={"x": "$a.payload"})}))
    assert message == "the nodes a -> b -> a form a cycle"
    assert "a -> a" in _invalid(_contents({"a": _run(input={"x": "$a.payload"})}))


@pytest.mark.parametrize(
    ("nodes", "output", "expected"),
    [
        ({"a": _run(depends=["zz"])}, {}, "node 'a' depends on 'zz', which is not a node"),
        ({"a": _run(input={"x": "$ghost.images.0"})}, {}, "node 'a' depends on 'ghost'"),
        ({"a": _run(input={"x": "$input.nope"})}, {}, "$input.nope names no field"),
        ({"a": _run(input={"x": "$input"})}, {}, "$input names no field"),
        ({"a": _run()}, {"o": "$b.x"}, "output 'o': $b.x refers to no run node"),
        ({"a": _run()}, {"o": "plain"}, "output 'o': 'plain' is not a reference"),
        ({"input": _run()}, {}, "node id 'input' must be"),
        ({"1st": _run()}, {}, "node id '1st' must be"),
        ({"a": {"id": "b", **_run()}}, {}, "node 'a' has id 'b'"),
        ({"a": {"type": "loop"}}, {}, "node 'a': type must be 'run' or 'output'"),
        ({"a": {"type": "run"}}, {}, "node 'a': app must be an endpoint id"),
        ({"a": _run(depends="b")}, {}, "node 'a': depends must be a list"),
        ({"o": {"type": "output", "fields": {}}}, {}, "has no run node"),
        (
            {"a": _run(), "show": {"type": "output", "fields": {"x": "$zz.y"}}},
            {"o": "$a.payload"},
            "output field 'x': $zz.y refers to no run node",
        ),
        (
            {"a": _run(depends=["show"]), "show": {"type": "output"}},
            {},
            "depends on 'show', which is an output node",
        ),
    ],
)
def test_mistakes_are_named(nodes: dict[str, Any], output: dict[str, Any], expected: str) -> None:
    assert expected in _invalid(_contents(nodes, output))


def test_the_envelope_is_checked() -> None:
    assert _invalid([]) == "contents must be an object"
    assert (
        _invalid({**_contents({"a": _run()}), "version": 1}) == "contents.version must be a string"
    )
    bad_schema = _contents({"a": _run()}, fields={"word": {"type": "strin"}})
    assert "contents.schema.input is not a valid JSON schema" in _invalid(bad_schema)
    too_many = _contents({f"n{i}": _run() for i in range(101)})
    assert _invalid(too_many) == "a workflow has at most 100 nodes"


def test_output_nodes_gather_the_output_when_output_is_empty() -> None:
    definition = parse_definition(
        _contents(
            {
                "a": _run(),
                "show": {"type": "output", "depends": ["a"], "fields": {"image": "$a.images.0"}},
            }
        )
    )
    assert list(definition.nodes) == ["a"]
    assert {name: ref.text for name, ref in definition.output.items()} == {"image": "$a.images.0"}


def test_schema_input_becomes_a_json_schema_with_what_is_required() -> None:
    definition = parse_definition(
        _contents(
            {"a": _run(input={"w": "$input.word", "n": "$input.count", "o": "$input.opt"})},
            fields={
                "word": {"type": "string", "label": "Word", "required": True},
                "count": {"type": "integer", "default": 2},
                "opt": {"type": "string", "required": False},
                "note": {"type": "string"},
            },
        )
    )
    schema = definition.input_schema
    assert schema["properties"]["word"] == {"type": "string"}  # form-only keys dropped
    # Required: said so, or referred to with no default and not said otherwise.
    assert schema["required"] == ["word"]
    both = parse_definition(_contents({"a": _run(input={"w": "$input.word"})}))
    assert both.input_schema["required"] == ["word"]
