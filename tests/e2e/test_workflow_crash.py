"""Kill -9 the server in the middle of a workflow run: after a restart the run goes on from
the nodes already completed, and every node has one request; both databases."""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.processes import TIMEOUT, Process, admin_key, headers, running, wait_completed
from tests.integration.workflows.definitions import contents, debug_node

FAST_REAPING = {"IMPASTO_QUEUE_LEASE_SECONDS": "2", "IMPASTO_QUEUE_REAP_INTERVAL_SECONDS": "0.5"}
SUBMITTED = re.compile(r"^(\w+): submitted to impasto/debug as (\S+)$")

pytestmark = pytest.mark.timeout(240)


def _nodes(server: Process, key: str, submitted: dict[str, Any]) -> dict[str, str]:
    """Node id -> its request id, from the run's log lines."""
    status = httpx.get(
        submitted["status_url"], params={"logs": "1"}, headers=headers(key), timeout=TIMEOUT
    ).json()
    found = [SUBMITTED.match(line["message"]) for line in status["logs"] or []]
    pairs = [(match.group(1), match.group(2)) for match in found if match is not None]
    nodes = dict(pairs)
    assert len(nodes) == len(pairs), pairs  # no node submitted twice
    return nodes


def _node_status(server: Process, key: str, request_id: str) -> str:
    url = f"{server.url}/queue/impasto/debug/requests/{request_id}/status"
    status: str = httpx.get(url, headers=headers(key), timeout=TIMEOUT).json()["status"]
    return status


def test_a_workflow_run_survives_a_server_crash(tmp_path: Path, database_url: str) -> None:
    env = {**FAST_REAPING, "IMPASTO_DATABASE_URL": database_url}
    with running(tmp_path) as started:
        server = started.serve(**env)
        key = admin_key(server)
        definition = contents(
            {
                "a": debug_node("$input.word", sleep=0.5),
                "b": debug_node("$a.payload", depends=["a"], sleep=4),
                "c": debug_node("$b.payload", depends=["b"]),
            },
            {"word": "$c.payload", "a": "$a.attempt", "b": "$b.attempt", "c": "$c.attempt"},
        )
        created = httpx.post(
            f"{server.url}/v1/workflows",
            json={"name": "three", "title": "Three", "contents": definition},
            headers=headers(key),
            timeout=TIMEOUT,
        )
        assert created.status_code == 201, created.text
        owner = created.json()["workflow"]["user_nickname"]
        submitted = httpx.post(
            f"{server.url}/queue/workflows/{owner}/three",
            json={"word": "hello"},
            headers=headers(key),
            timeout=TIMEOUT,
        ).json()
        # Crash while b runs: a has completed, c does not exist yet.
        deadline = time.monotonic() + TIMEOUT
        while "b" not in (nodes := _nodes(server, key, submitted)) or (
            _node_status(server, key, nodes["b"]) != "IN_PROGRESS"
        ):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert set(nodes) == {"a", "b"}
        server.stop(signal.SIGKILL)

        again = started.serve(**env)
        moved = {
            **submitted,
            **{
                name: submitted[name].replace(server.url, again.url)
                for name in ("status_url", "response_url")
            },
        }
        status = wait_completed(moved, key)
        assert "error" not in status, status
        result = httpx.get(moved["response_url"], headers=headers(key), timeout=TIMEOUT).json()
        # a ran once, before the crash; b ran again (the queue's retry); c once, after.
        assert result == {"word": "hello", "a": 1, "b": 2, "c": 1}
        after = _nodes(again, key, moved)
        assert set(after) == {"a", "b", "c"}
        assert {node: after[node] for node in ("a", "b")} == nodes
