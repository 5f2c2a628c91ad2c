"""HTTP-over-WebSocket (§3.3), realtime msgpack (§3.4) and realtime tokens (§3.5)."""

from __future__ import annotations

import json
from typing import Any

import msgpack
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from impasto.container import Container
from impasto.keys.service import KeyService
from impasto.runs.queue.repository import RunRepository
from impasto.runs.sync.websockets import http_base
from tests.conftest import auth, make_key
from tests.integration.runs.conftest import Caller


def _frames(ws: Any, n: int) -> list[Any]:
    return [json.loads(ws.receive_text()) for _ in range(n)]


def test_http_over_websocket_answers_start_body_end(client: TestClient, acme: Caller) -> None:
    with client.websocket_connect("/ws/impasto/debug", headers=acme.headers) as ws:
        ws.send_text(json.dumps({"payload": {"n": 1}}))
        start, body, end = _frames(ws, 3)
    assert start["type"] == "start"
    assert start["status"] == 200
    assert body == {"payload": {"n": 1}, "attempt": 1}
    assert end["type"] == "end"
    assert end["request_id"] == start["request_id"]
    assert end["time_to_first_byte_seconds"] >= 0
    # The request is a real queue request of the caller, with its record.
    status = acme.get(f"/queue/impasto/debug/requests/{start['request_id']}/status").json()
    assert status["status"] == "COMPLETED"


def test_http_over_websocket_multiplexes_and_reports_errors(
    client: TestClient, acme: Caller
) -> None:
    with client.websocket_connect("/ws/impasto/debug", headers=acme.headers) as ws:
        ws.send_text(json.dumps({"payload": "slow", "sleep": 0.5}))
        ws.send_text(json.dumps({"payload": "fast"}))
        ws.send_text("not json")
        ws.send_text(json.dumps({"sleep": "x"}))
        frames = _frames(ws, 12)
    bodies = [f for f in frames if "type" not in f]
    statuses = sorted(f["status"] for f in frames if f.get("type") == "end")
    assert statuses == [200, 200, 400, 422]
    assert {"payload": "fast", "attempt": 1} in bodies
    assert {"payload": "slow", "attempt": 1} in bodies
    assert {"detail": "The message is not valid JSON"} in bodies


def test_websocket_without_a_valid_key_is_refused(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Key nope:nope"}):
        with (
            pytest.raises(WebSocketDisconnect) as refused,
            client.websocket_connect("/ws/impasto/debug", headers=headers) as ws,
        ):
            ws.receive_text()
        assert refused.value.code == 1008


def _token(client: TestClient, headers: dict[str, str], apps: list[str], seconds: int = 60) -> str:
    response = client.post(
        "/rest/tokens/", json={"allowed_apps": apps, "token_expiration": seconds}, headers=headers
    )
    assert response.status_code == 200, response.text
    token: str = response.json()
    return token


def test_realtime_with_a_token_runs_msgpack_messages(client: TestClient, acme: Caller) -> None:
    token = _token(client, acme.headers, ["debug"])
    with client.websocket_connect(f"/run/impasto/debug/realtime?fal_jwt_token={token}") as ws:
        for n in range(3):
            ws.send_bytes(msgpack.packb({"payload": {"n": n}}, use_bin_type=True))
            assert msgpack.unpackb(ws.receive_bytes()) == {"payload": {"n": n}, "attempt": 1}
        ws.send_bytes(msgpack.packb({"sleep": "bad"}, use_bin_type=True))
        error = json.loads(ws.receive_text())
        assert error["type"] == "x-fal-error"
        assert error["error"] == "BAD_REQUEST"
        ws.send_bytes(b"\xc1")  # never valid msgpack
        assert json.loads(ws.receive_text())["error"] == "BAD_REQUEST"


def test_realtime_accepts_a_key_header_and_the_ws_prefix(client: TestClient, acme: Caller) -> None:
    with client.websocket_connect("/ws/impasto/debug/realtime", headers=acme.headers) as ws:
        ws.send_bytes(msgpack.packb({"payload": 7}, use_bin_type=True))
        assert msgpack.unpackb(ws.receive_bytes())["payload"] == 7


@pytest.mark.parametrize("case", ["wrong app", "tampered", "revoked", "none"])
def test_realtime_refuses_bad_tokens(
    client: TestClient, container: Container, acme: Caller, case: str
) -> None:
    headers = acme.headers
    if case == "revoked":
        credential = make_key(container, "acme")
        headers = auth(credential)
    token = _token(client, headers, ["image-tools" if case == "wrong app" else "debug"])
    if case == "tampered":
        token = token[:-2] + ("00" if token[-2:] != "00" else "11")
    if case == "revoked":
        with container.database.session(write=True) as session:
            keys = KeyService(session, container.clock, container.ids)
            assert keys.revoke(credential.split(":")[0])
    query = "" if case == "none" else f"?fal_jwt_token={token}"
    with client.websocket_connect(f"/run/impasto/debug/realtime{query}") as ws:
        error = json.loads(ws.receive_text())
        assert error == {"type": "x-fal-error", "error": "UNAUTHORIZED", "reason": error["reason"]}
        with pytest.raises(WebSocketDisconnect):
            ws.receive_text()


@pytest.mark.parametrize(
    "body",
    [
        {"allowed_apps": [], "token_expiration": 60},
        {"allowed_apps": ["debug"], "token_expiration": 0},
        {"allowed_apps": ["debug"], "token_expiration": 10**6},
        {"allowed_apps": "debug"},
        {},
    ],
)
def test_token_endpoint_validates_its_body(
    client: TestClient, acme: Caller, body: dict[str, Any]
) -> None:
    response = client.post("/rest/tokens/", json=body, headers=acme.headers)
    assert response.status_code in (400, 422)
    assert "detail" in response.json()


def test_token_endpoint_needs_a_key(client: TestClient) -> None:
    response = client.post("/rest/tokens/", json={"allowed_apps": ["debug"]})
    assert response.status_code == 401


@pytest.mark.parametrize("prefix", ["/ws", "/run"])
def test_both_protocols_on_both_layouts(client: TestClient, acme: Caller, prefix: str) -> None:
    # fal_client.ws_connect dials {REALTIME_URL_FORMAT}{app}: /run/... on fal's layout.
    with client.websocket_connect(f"{prefix}/impasto/debug", headers=acme.headers) as ws:
        ws.send_bytes(msgpack.packb({"payload": "binary"}, use_bin_type=True))
        assert msgpack.unpackb(ws.receive_bytes()) == {"payload": "binary", "attempt": 1}
        ws.send_text(json.dumps({"payload": "text"}))
        start, body, end = _frames(ws, 3)
        ws.send_bytes(b"\xc1")  # never valid msgpack: an error frame, not silence
        assert json.loads(ws.receive_text())["error"] == "BAD_REQUEST"
    assert (start["type"], end["type"], end["status"]) == ("start", "end", 200)
    assert body == {"payload": "text", "attempt": 1}


@pytest.mark.parametrize("prefix", ["/ws", "/run"])
def test_http_over_websocket_accepts_a_token_for_its_app(
    client: TestClient, acme: Caller, prefix: str
) -> None:
    # What fal_client.ws_connect() sends as shipped (use_jwt=True): no header, a token.
    token = _token(client, acme.headers, ["debug"])
    with client.websocket_connect(f"{prefix}/impasto/debug?fal_jwt_token={token}") as ws:
        ws.send_text(json.dumps({"payload": 1}))
        assert _frames(ws, 3)[1] == {"payload": 1, "attempt": 1}
    other = _token(client, acme.headers, ["image-tools"])
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect(f"{prefix}/impasto/debug?fal_jwt_token={other}") as ws,
    ):
        ws.receive_text()
    assert refused.value.code == 1008


def test_socket_requests_point_their_urls_at_http(
    client: TestClient, container: Container, acme: Caller
) -> None:
    with client.websocket_connect("/ws/impasto/debug", headers=acme.headers) as ws:
        ws.send_text(json.dumps({"payload": 1}))
        request_id = _frames(ws, 3)[0]["request_id"]
    with container.database.session(write=False) as session:
        record = RunRepository(session).get(request_id)
    assert record is not None
    assert record.base_url == "http://testserver"


def test_http_base_maps_socket_schemes() -> None:
    assert http_base("ws://h:1/p") == "http://h:1/p"
    assert http_base("wss://h") == "https://h"
    assert http_base("https://public.example") == "https://public.example"
