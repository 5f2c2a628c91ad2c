"""Workflow definitions the tests create, built from the built-in ``impasto/debug`` app."""

from __future__ import annotations

from typing import Any

from tests.integration.runs.conftest import Caller

DEBUG = "impasto/debug"


def debug_node(payload: Any, *, depends: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "type": "run",
        "app": DEBUG,
        "depends": depends or [],
        "input": {"payload": payload, **extra},
    }


def contents(
    nodes: dict[str, dict[str, Any]],
    output: dict[str, str],
    fields: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "name": "test",
        "version": "1.0.0",
        "nodes": {node_id: {"id": node_id, **node} for node_id, node in nodes.items()},
        "output": output,
        "schema": {
            "input": fields if fields is not None else {"word": {"type": "string"}},
            "output": {},
        },
    }


def chain(*, sleep: float = 0, fail_first: bool = False) -> dict[str, Any]:
    """first echoes {"word": $input.word}; second echoes first's word."""
    return contents(
        {
            "first": debug_node({"word": "$input.word"}, sleep=sleep, fail=fail_first),
            "second": debug_node("$first.payload.word", depends=["first"]),
        },
        {"final": "$second.payload", "attempt": "$second.attempt"},
    )


def fan(*, sleep: float) -> dict[str, Any]:
    """left and right run at once, join waits for both."""
    return contents(
        {
            "left": debug_node("$input.word", sleep=sleep),
            "right": debug_node("$input.word", sleep=sleep),
            "join": debug_node(["$left.payload", "$right.payload"], depends=["left", "right"]),
        },
        {"left": "$left.payload", "right": "$right.payload", "joined": "$join.payload"},
    )


def create(caller: Caller, name: str, definition: dict[str, Any], **fields: Any) -> None:
    response = caller.client.post(
        "/v1/workflows",
        json={"name": name, "title": name.title(), "contents": definition, **fields},
        headers=caller.headers,
    )
    assert response.status_code == 201, response.text
