"""Connection limits on a real socket: head size and deadline, body timeout, connection cap.

Transport only, so SQLite alone; the limits are the small ones of ``conftest.SMALL_LIMITS``.
"""

from __future__ import annotations

import contextlib
import select
import threading

import httpx
import pytest
from fastapi import FastAPI

from impasto.config import Settings
from tests.conftest import auth, make_key
from tests.integration.kit.http.conftest import WAIT_SECONDS, LiveServer, serving

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

HEALTH = b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n"


def test_keep_alive_and_pipelined_requests_are_served(live: LiveServer) -> None:
    with live.connect() as conn:
        conn.send(HEALTH)
        assert conn.response()[0] == 200
        conn.send(HEALTH * 3)  # pipelined: one packet, three requests
        assert [conn.response()[0] for _ in range(3)] == [200, 200, 200]


def test_a_client_may_not_queue_requests_without_end(live: LiveServer) -> None:
    with live.connect() as conn:
        conn.send(HEALTH * 100)  # one read: all parsed before the first is answered
        answered = 0
        with contextlib.suppress(ConnectionError):
            while answered < 100:
                conn.response()
                answered += 1
        assert answered < 100
        assert conn.ended_by_server()


def test_a_head_over_the_size_limit_is_431(live: LiveServer) -> None:
    with live.connect() as conn:
        conn.send(b"GET /health HTTP/1.1\r\nHost: test\r\nX-Big: " + b"a" * 8192 + b"\r\n\r\n")
        status, headers, _ = conn.response()
        assert status == 431
        assert headers["connection"] == "close"
        assert conn.ended_by_server()


def test_a_head_just_within_the_size_limit_is_served(live: LiveServer) -> None:
    start = b"GET /health HTTP/1.1\r\nHost: test\r\nX-Fill: "
    filler = b"a" * (4096 - len(start) - 4)
    with live.connect() as conn:
        conn.send(start + filler + b"\r\n\r\n" + HEALTH)  # exactly 4096 bytes, then another
        assert conn.response()[0] == 200
        assert conn.response()[0] == 200


def test_too_many_header_fields_is_431(live: LiveServer) -> None:
    fields = b"".join(b"X-Field-%d: 1\r\n" % n for n in range(25))
    with live.connect() as conn:
        conn.send(b"GET /health HTTP/1.1\r\nHost: test\r\n" + fields + b"\r\n")
        assert conn.response()[0] == 431
        assert conn.ended_by_server()


def test_a_slow_head_is_cut_off_while_other_clients_are_served(live: LiveServer) -> None:
    """A total deadline: one byte every 50 ms keeps an idle timer happy, not this one."""
    head = b"GET /health HTTP/1.1\r\nHost: test\r\nX-Slow: " + b"a" * 400 + b"\r\n\r\n"
    others: list[int] = []
    sent = 0
    with live.connect() as slow, httpx.Client(base_url=live.url) as other:
        while sent < len(head):
            readable, _, _ = select.select([slow.sock], [], [], 0.05)
            if readable:
                break  # the server answered or closed
            slow.send(head[sent : sent + 1])
            sent += 1
            if sent % 5 == 0:
                others.append(other.get("/health").status_code)
        assert sent < len(head), "the head was sent in full without being cut off"
        assert slow.response()[0] == 408
        assert slow.ended_by_server()
    assert others
    assert set(others) == {200}


def test_a_connection_that_sends_nothing_is_closed(live: LiveServer) -> None:
    with live.connect() as conn:
        assert conn.ended_by_server()


def test_a_stalled_json_body_ends_with_408(live: LiveServer) -> None:
    with live.connect() as conn:
        conn.send(
            b"POST /queue/acme/app HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"a": '
        )
        status, _, body = conn.response()
        assert status == 408
        assert b"No request body" in body
        assert conn.ended_by_server()


def test_a_stalled_upload_ends_with_408(live: LiveServer, container_key: str) -> None:
    with live.connect() as conn:
        conn.send(
            b"POST /files/upload HTTP/1.1\r\nHost: test\r\nContent-Type: text/plain\r\n"
            b"Authorization: Key " + container_key.encode() + b"\r\n"
            b"Content-Length: 100\r\n\r\nx"
        )
        assert conn.response()[0] == 408
        assert conn.ended_by_server()


def test_connections_past_the_cap_get_a_quick_503(app: FastAPI, settings: Settings) -> None:
    patient = settings.model_copy(
        update={"header_timeout_seconds": WAIT_SECONDS, "keep_alive_timeout_seconds": 30}
    )
    with serving(app, patient, max_connections=2) as server:
        with server.connect() as first, server.connect() as second:
            for conn in (first, second):
                conn.send(HEALTH)
                assert conn.response()[0] == 200  # both open and counted
            with server.connect() as third:
                status, headers, _ = third.response()
                assert status == 503
                assert headers["retry-after"] == "1"
                assert third.ended_by_server()
        # Once those two are gone, new connections are served again.
        done = threading.Event()
        statuses: list[int] = []
        while not done.wait(0.05) and len(statuses) < WAIT_SECONDS / 0.05:
            with server.connect() as conn:
                conn.send(HEALTH)
                statuses.append(conn.response()[0])
            if statuses[-1] == 200:
                break
        assert statuses[-1] == 200


def test_websocket_upgrades_pass_through(live: LiveServer, container_key: str) -> None:
    with live.connect() as conn:
        conn.send(
            b"GET /ws/impasto/debug HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            b"Authorization: Key " + container_key.encode() + b"\r\n"
            b"Sec-WebSocket-Version: 13\r\n\r\n"
        )
        assert conn.response()[0] == 101


@pytest.fixture
def container_key(app: FastAPI) -> str:
    return make_key(app.state.container, "acme")


def test_uploads_larger_than_the_json_limit_still_work(
    live: LiveServer, container_key: str
) -> None:
    data = bytes(range(256)) * 2048  # 512 KiB, twice the JSON limit
    with httpx.Client(base_url=live.url, timeout=WAIT_SECONDS) as client:
        response = client.post(
            "/files/upload",
            content=data,
            headers={**auth(container_key), "Content-Type": "application/octet-stream"},
        )
        assert response.status_code == 200, response.text
        assert client.get(response.json()["access_url"]).content == data
        form = client.post(
            "/v1/serverless/files/file/local/big/blob.bin",
            files={"file_upload": ("blob.bin", data, "application/octet-stream")},
            headers=auth(container_key),
        )
        assert form.status_code == 200, form.text
