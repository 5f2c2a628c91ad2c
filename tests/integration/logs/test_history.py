"""fal's log history and stream over the lines requests wrote: filters, search, cursors,
owner isolation, retention."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import anyio

from impasto.logs.tasks import prune_once
from impasto.models import KeyScope
from tests.fal_spec import assert_fal_shape
from tests.integration.usage.server import DEBUG, STREAM, Server

HISTORY = "/v1/serverless/logs/history"


def _write(server: Server) -> tuple[dict[str, str], list[str]]:
    key = server.key("acme", KeyScope.API)
    ids = [
        server.run(key, logs=[("INFO", "loading weights"), ("DEBUG", "step 1")], took=1),
        server.run(
            key, STREAM, logs=[("WARN", "slow disk"), ("ERROR", "CUDA out of memory")], took=1
        ),
        server.run(key, logs=[("STDERR", "Traceback: boom"), ("INFO", "done 100%")]),
    ]
    return key, ids


def _history(server: Server, key: dict[str, str], body: Any = None, **params: Any) -> Any:
    response = server.client.post(HISTORY, params=params, json=body, headers=key)
    assert response.status_code == 200, response.text
    assert_fal_shape("serverlessLogsHistory", response.json())
    return response.json()


def test_history_is_newest_first_with_app_and_labels(server: Server) -> None:
    key, ids = _write(server)
    items = _history(server, key)["items"]
    assert [i["message"] for i in items] == [
        "done 100%",
        "Traceback: boom",
        "CUDA out of memory",
        "slow disk",
        "step 1",
        "loading weights",
    ]
    first = items[-1]
    assert (first["app"], first["level"], first["revision"]) == ("impasto/debug", "INFO", "")
    assert first["labels"] == {"request_id": ids[0], "endpoint_id": DEBUG, "source": "USER"}


def test_filters_search_and_levels(server: Server) -> None:
    key, ids = _write(server)

    def messages(body: Any = None, **params: Any) -> list[str]:
        return [i["message"] for i in _history(server, key, body, **params)["items"]]

    assert messages(level="warn") == ["Traceback: boom", "CUDA out of memory", "slow disk"]
    assert messages(search="CUDA") == ["CUDA out of memory"]
    assert messages(search="100%") == ["done 100%"]  # LIKE wildcards are literal
    assert messages(request_id=ids[0]) == ["step 1", "loading weights"]
    assert messages(app_id="impasto/debug,impasto/other") == messages(
        [{"key": "app", "value": "impasto/debug"}]
    )
    assert messages([{"key": "endpoint_id", "value": STREAM}]) == [
        "CUDA out of memory",
        "slow disk",
    ]
    assert messages([{"key": "level", "value": ["info", "debug"], "condition_type": "not_in"}]) == [
        "Traceback: boom",
        "CUDA out of memory",
        "slow disk",
    ]
    assert messages([{"key": "gpu", "value": "0"}]) == []  # no line has that label
    assert messages(level="loud") == []  # nor that level
    assert messages([{"key": "level", "value": ["error", "warn"], "condition_type": "equals"}]) == [
        "CUDA out of memory",
        "slow disk",
    ]
    assert messages([{"key": "source", "value": "a\x00b"}]) == []
    assert messages(run_source="grpc-run") == []
    assert len(messages(run_source="gateway")) == 6


def test_pages_by_cursor_and_by_fals_timestamp_cursor(server: Server) -> None:
    key, _ = _write(server)
    everything = _history(server, key)["items"]
    first = _history(server, key, limit=4)
    assert (len(first["items"]), first["has_more"]) == (4, True)
    rest = _history(server, key, limit=4, cursor=first["next_cursor"])
    assert (len(rest["items"]), rest["has_more"]) == (2, False)
    assert first["items"] + rest["items"] == everything
    # fal's form: a timestamp, read lines before it.
    newest = everything[0]["timestamp"]
    older = _history(server, key, cursor=newest)["items"]
    assert all(i["timestamp"] < newest for i in older)
    assert len(older) == 4  # the third request's two lines share the newest timestamp
    bad = server.client.post(HISTORY, params={"cursor": "forged"}, headers=key)
    assert bad.status_code == 400


def test_owners_never_see_each_others_lines(server: Server) -> None:
    _write(server)
    bob = server.key("bob", KeyScope.API)
    assert _history(server, bob)["items"] == []
    server.run(bob, logs=[("INFO", "bob's line")])
    assert [i["message"] for i in _history(server, bob)["items"]] == ["bob's line"]


def test_bad_queries_are_400(server: Server) -> None:
    key, _ = _write(server)
    for params, body in (
        ({"start": "2026-01-02", "end": "2026-01-01"}, None),
        ({"start": "yesterday"}, None),
        ({"limit": 1001}, None),
        ({}, [{"key": "x"}]),
        ({}, {"key": "level", "value": "INFO"}),
        ({"cursor": "not ours"}, None),
    ):
        response = server.client.post(HISTORY, params=params, json=body, headers=key)
        assert response.status_code == 400, (params, body, response.text)
    assert server.client.post(HISTORY).status_code == 401


def test_the_stream_replays_then_follows_until_end(server: Server) -> None:
    key, _ = _write(server)
    end = (server.clock.now() + timedelta(seconds=30)).isoformat()
    received: list[dict[str, Any]] = []

    def follow() -> None:
        with server.client.stream(
            "POST", "/v1/serverless/logs/stream", params={"end": end, "level": "warn"},
            headers=key,
        ) as response:  # fmt: skip
            assert response.status_code == 200
            for line in response.iter_lines():
                if line.startswith("data: "):
                    received.append(json.loads(line[len("data: ") :]))

    reader = threading.Thread(target=follow)
    reader.start()
    server.run(key, logs=[("ERROR", "a new failure"), ("INFO", "filtered out")])
    server.clock.advance(60)  # past end: the stream drains and closes
    reader.join(timeout=60)
    assert not reader.is_alive()
    assert [r["message"] for r in received] == [
        "slow disk",
        "CUDA out of memory",
        "Traceback: boom",
        "a new failure",
    ]


def test_retention_deletes_old_lines_only(server: Server) -> None:
    key, _ = _write(server)
    server.clock.advance(10 * 86400)
    server.run(key, logs=[("INFO", "recent")])
    container = server.container
    deleted = anyio.run(
        prune_once, container.database, container.clock, container.cursors, timedelta(days=7)
    )
    assert deleted == 6
    start = (server.clock.now() - timedelta(days=30)).isoformat()
    assert [i["message"] for i in _history(server, key, start=start)["items"]] == ["recent"]
