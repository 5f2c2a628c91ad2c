"""A server that runs requests: built-in apps deployed and the embedded worker on.

Tests drive it through ``TestClient`` (the lifespan deploys apps and starts the worker),
on both databases. ``SerialApp`` (one request at a time, held by a gate file) makes queue
order and queued states observable without timing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from impasto.config import Settings
from impasto.container import Container
from tests.conftest import SettingsFactory, auth, make_key

SERIAL_APP = "acme/serial=tests.integration.runs.queue_apps:SerialApp"
SHARED_APP = "acme/shared=tests.integration.runs.queue_apps:SharedApp"
WAIT_SECONDS = 60.0  # a bound against hangs, never an assertion about speed


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings(
        rate_limit_per_second=10_000,
        rate_limit_burst=10_000,
        builtin_apps=True,
        embedded_worker=True,
        apps=[SERIAL_APP, SHARED_APP],
        fetch_allowed_networks=["127.0.0.0/8"],  # the webhook receiver is on loopback
        webhook_poll_interval_seconds=0.05,
        queue_reap_interval_seconds=0.1,  # start deadlines are checked by the reaper
    )


@dataclass
class Caller:
    """One owner's view of the queue over HTTP."""

    client: TestClient
    headers: dict[str, str]

    def submit(
        self,
        endpoint: str,
        payload: Any = None,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        return self.client.post(
            f"/queue/{endpoint}",
            json=payload,
            headers={**self.headers, **(headers or {})},
            params=params,
        )

    def queued(self, endpoint: str, payload: Any = None, **options: Any) -> dict[str, Any]:
        response = self.submit(endpoint, payload, **options)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def get(self, url: str, **params: str) -> httpx.Response:
        return self.client.get(url, headers=self.headers, params=params)

    def status(self, submitted: dict[str, Any], **params: str) -> dict[str, Any]:
        body: dict[str, Any] = self.get(submitted["status_url"], **params).json()
        return body

    def wait_for(self, submitted: dict[str, Any], status: str, **params: str) -> dict[str, Any]:
        """Poll the status URL until it reports ``status`` (COMPLETED ends any wait)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            body = self.status(submitted, **params)
            if body["status"] in (status, "COMPLETED") or time.monotonic() > deadline:
                return body
            time.sleep(0.02)

    def result(self, submitted: dict[str, Any]) -> httpx.Response:
        self.wait_for(submitted, "COMPLETED")
        return self.get(submitted["response_url"])

    def cancel(self, submitted: dict[str, Any]) -> httpx.Response:
        return self.client.put(submitted["cancel_url"], headers=self.headers)


@pytest.fixture
def acme(client: TestClient, container: Container) -> Caller:
    return Caller(client, auth(make_key(container, "acme")))


@pytest.fixture
def bob(client: TestClient, container: Container) -> Caller:
    return Caller(client, auth(make_key(container, "bob")))


@dataclass
class Gate:
    """A file whose creation releases the ``SerialApp`` requests that name it."""

    path: Path

    @property
    def input(self) -> dict[str, str]:
        return {"gate": str(self.path)}

    def open(self) -> None:
        self.path.touch()


@pytest.fixture
def gate(tmp_path: Path) -> Gate:
    return Gate(tmp_path / "gate")


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1 that records what it was sent."""

    port: int = 0
    requests: list[Received] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            found.requests.append(Received(dict(self.headers.items()), body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            found.arrived.set()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    found.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    server.shutdown()
    server.server_close()
    thread.join()
