"""Workflow runs through fal's queue surface: nodes as ordinary requests, fal's events,
the output mapping, failures naming their node, cancel; both databases."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from impasto.config import Settings
from impasto.container import Container
from impasto.runs.queue.repository import RunRepository
from tests.conftest import SettingsFactory, auth, make_key
from tests.integration.runs.conftest import WAIT_SECONDS, Caller
from tests.integration.workflows.definitions import chain, contents, create, debug_node, fan

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings(
        rate_limit_per_second=10_000,
        rate_limit_burst=10_000,
        builtin_apps=True,
        embedded_worker=True,
        queue_reap_interval_seconds=0.1,
    )


@pytest.fixture
def acme(client: TestClient, container: Container) -> Caller:
    return Caller(client, auth(make_key(container, "acme")))


def _container(caller: Caller) -> Container:
    container: Container = caller.client.app.state.container
    return container


def _events(caller: Caller, submitted: dict[str, Any]) -> list[dict[str, Any]]:
    """What ``/run/.../stream`` would send: the run's partial outputs, in order."""
    with _container(caller).database.session(write=False) as session:
        return [
            event.data["output"]
            for event in RunRepository(session).events(submitted["request_id"], kinds=["partial"])
        ]


def _nodes(caller: Caller, submitted: dict[str, Any]) -> dict[str, Any]:
    """Node id -> (status, result status, attempts, started_at, completed_at)."""
    with _container(caller).database.session(write=False) as session:
        return {
            node.node_id: (
                node.status,
                node.result_status,
                node.attempts,
                node.started_at,
                node.completed_at,
            )
            for node in RunRepository(session).children(submitted["request_id"])
        }


def test_a_linear_chain_runs_each_node_once_and_answers_the_output_mapping(
    acme: Caller,
) -> None:
    create(acme, "chain", chain())
    submitted = acme.queued("workflows/acme/chain", {"word": "hello"})
    assert submitted["status_url"].endswith(
        f"/queue/workflows/acme/chain/requests/{submitted['request_id']}/status"
    )
    result = acme.result(submitted)
    assert result.status_code == 200, result.text
    assert result.json() == {"final": "hello", "attempt": 1}
    events = _events(acme, submitted)
    kinds = [(event["type"], event.get("node_id")) for event in events]
    assert kinds == [
        ("submit", "first"),
        ("completion", "first"),
        ("submit", "second"),
        ("completion", "second"),
        ("output", None),
    ]
    assert events[1]["output"] == {"payload": {"word": "hello"}, "attempt": 1}
    assert events[-1]["output"] == {"final": "hello", "attempt": 1}
    nodes = _nodes(acme, submitted)
    assert {node: state[:3] for node, state in nodes.items()} == {
        "first": ("COMPLETED", 200, 1),
        "second": ("COMPLETED", 200, 1),
    }
    # Each node is a request of its own, readable through the queue like any other.
    submit = events[0]
    node_status = acme.get(f"/queue/impasto/debug/requests/{submit['request_id']}/status").json()
    assert node_status["status"] == "COMPLETED"


def test_independent_nodes_overlap_and_the_join_waits_for_both(acme: Caller) -> None:
    create(acme, "fan", fan(sleep=1.0))
    submitted = acme.queued("workflows/acme/fan", {"word": "x"})
    result = acme.result(submitted)
    assert result.status_code == 200, result.text
    assert result.json() == {"left": "x", "right": "x", "joined": ["x", "x"]}
    nodes = _nodes(acme, submitted)
    left, right, join = nodes["left"], nodes["right"], nodes["join"]
    # Both branches ran at once: each started before the other finished.
    assert left[3] < right[4]
    assert right[3] < left[4]
    assert join[3] >= max(left[4], right[4])


def test_a_failing_node_is_named_and_nothing_after_it_runs(acme: Caller) -> None:
    create(acme, "broken", chain(fail_first=True))
    submitted = acme.queued("workflows/acme/broken", {"word": "w"})
    status = acme.wait_for(submitted, "COMPLETED")
    assert status["error_type"] == "workflow_node_failed"
    result = acme.get(submitted["response_url"])
    assert result.status_code == 500
    body = result.json()
    assert body["node_id"] == "first"
    assert "first" in body["detail"]
    events = _events(acme, submitted)
    assert [event["type"] for event in events] == ["submit", "error"]
    assert events[-1]["node_id"] == "first"
    assert events[-1]["error"]["status"] == 500
    assert set(_nodes(acme, submitted)) == {"first"}


def test_cancel_stops_the_running_node_and_starts_no_other(acme: Caller) -> None:
    create(acme, "slow", chain(sleep=30))
    submitted = acme.queued("workflows/acme/slow", {"word": "w"})
    deadline = time.monotonic() + WAIT_SECONDS
    while _nodes(acme, submitted).get("first", ("",))[0] != "IN_PROGRESS":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    cancelled = acme.cancel(submitted)
    assert cancelled.status_code == 202, cancelled.text
    status = acme.wait_for(submitted, "COMPLETED")
    assert status["error_type"] == "client_cancelled"
    deadline = time.monotonic() + WAIT_SECONDS
    while _nodes(acme, submitted)["first"][0] != "COMPLETED":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert set(_nodes(acme, submitted)) == {"first"}


def test_the_input_is_checked_against_schema_input(acme: Caller) -> None:
    create(acme, "chain", chain())
    response = acme.submit("workflows/acme/chain", {"word": 5})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "word"]
    missing = acme.submit("workflows/acme/chain", {})
    assert missing.status_code == 422


def test_another_owners_private_workflow_is_not_found(
    acme: Caller, client: TestClient, container: Container
) -> None:
    create(acme, "chain", chain())
    bob = Caller(client, auth(make_key(container, "bob")))
    response = bob.submit("workflows/acme/chain", {"word": "w"})
    assert response.status_code == 404, response.text


def test_a_node_input_the_app_rejects_fails_the_run_at_that_node(acme: Caller) -> None:
    contents = chain()
    contents["nodes"]["second"]["input"] = {"sleep": "$first.payload.word"}
    create(acme, "badinput", contents)
    submitted = acme.queued("workflows/acme/badinput", {"word": "w"})
    acme.wait_for(submitted, "COMPLETED")
    result = acme.get(submitted["response_url"])
    assert result.status_code == 422, result.text
    error = _events(acme, submitted)[-1]
    assert (error["type"], error["node_id"]) == ("error", "second")
    assert error["error"]["body"]["detail"][0]["loc"] == ["body", "sleep"]
    assert json.dumps(result.json())  # the body is plain JSON


def test_defaults_fill_in_and_optional_fields_left_out_drop_their_key(acme: Caller) -> None:
    definition = contents(
        {"only": debug_node({"word": "$input.word", "extra": "$input.extra"})},
        {"echo": "$only.payload"},
        fields={
            "word": {"type": "string", "default": "fallback"},
            "extra": {"type": "integer", "required": False},
        },
    )
    create(acme, "defaults", definition)
    result = acme.result(acme.queued("workflows/acme/defaults", {}))
    assert result.json() == {"echo": {"word": "fallback"}}
    given = acme.result(acme.queued("workflows/acme/defaults", {"word": "w", "extra": 3}))
    assert given.json() == {"echo": {"word": "w", "extra": 3}}


def test_a_public_workflow_runs_as_its_caller(
    acme: Caller, client: TestClient, container: Container
) -> None:
    create(acme, "shared", chain(), is_public=True)
    bob = Caller(client, auth(make_key(container, "bob")))
    submitted = bob.queued("workflows/acme/shared", {"word": "hi"})
    assert bob.result(submitted).json() == {"final": "hi", "attempt": 1}
    # The run and its nodes are bob's: acme sees none of them.
    assert acme.get(submitted["status_url"]).status_code == 404
    node = _events(bob, submitted)[0]["request_id"]
    assert bob.get(f"/queue/impasto/debug/requests/{node}/status").status_code == 200
    assert acme.get(f"/queue/impasto/debug/requests/{node}/status").status_code == 404


def test_cancelling_a_node_fails_its_run(acme: Caller) -> None:
    create(acme, "slow", chain(sleep=30))
    submitted = acme.queued("workflows/acme/slow", {"word": "w"})
    deadline = time.monotonic() + WAIT_SECONDS
    while not (events := _events(acme, submitted)):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    node = events[0]["request_id"]
    assert (
        acme.client.put(
            f"/queue/impasto/debug/requests/{node}/cancel", headers=acme.headers
        ).status_code
        == 202
    )
    acme.wait_for(submitted, "COMPLETED")
    result = acme.get(submitted["response_url"])
    assert result.status_code == 499
    assert result.json()["node_id"] == "first"
    assert set(_nodes(acme, submitted)) == {"first"}
