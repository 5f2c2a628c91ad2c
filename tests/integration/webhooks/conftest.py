"""A webhook-ready container on a frozen clock, and a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from impasto.container import Container, build_container
from impasto.kit.clock import FrozenClock
from impasto.models import Account, RequestRecord
from tests.conftest import SERVER_DEFAULT, SettingsFactory


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers POSTs with the scripted statuses in order (200 once they run out)."""

    statuses: list[int] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)  # ends a /stall
    port: int = 0

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
            if self.path == "/stall":
                receiver.release.wait(10)
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            if status in {301, 302, 307}:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            receiver.arrived.set()

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(found))
    found.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    found.release.set()
    server.shutdown()
    server.server_close()
    thread.join()


@dataclass
class Hooks:
    container: Container
    clock: FrozenClock

    def add_request(self, request_id: str, owner: str = "acme") -> None:
        """A completed run request for the outbox row to belong to."""
        now = self.clock.now()
        with self.container.database.session(write=True) as session:
            if session.get(Account, owner) is None:
                session.add(Account(name=owner, created_at=now))
                session.flush()
            session.add(
                RequestRecord(
                    request_id=request_id,
                    owner=owner,
                    endpoint_id=f"{owner}/app",
                    app_id=f"{owner}/app",
                    path="",
                    mode="queue",
                    status="COMPLETED",
                    base_url="http://testserver",
                    max_attempts=1,
                    created_at=now,
                )
            )

    def enqueue(
        self,
        request_id: str,
        url: str,
        *,
        owner: str = "acme",
        result_status: int = 200,
        output: Any = None,
    ) -> str:
        self.add_request(request_id, owner)
        with self.container.database.session(write=True) as session:
            return self.container.webhooks.outbox.enqueue(
                session,
                request_id=request_id,
                owner=owner,
                url=url,
                result_status=result_status,
                output={"ok": True} if output is None else output,
                error=None,
            )


@pytest.fixture
def make_hooks(make_settings: SettingsFactory) -> Iterator[Callable[..., Hooks]]:
    made: list[Container] = []

    def make(*, allow_loopback: bool = True, **overrides: Any) -> Hooks:
        values: dict[str, Any] = {
            "fetch_allowed_networks": ["127.0.0.1/32"] if allow_loopback else [],
            # Only what a test starts runs: no background sender, sweeper, reaper or worker.
            "webhook_poll_interval_seconds": 0,
            "files_sweep_interval_seconds": 0,
            "queue_reap_interval_seconds": 0,
            "rate_limit_per_second": SERVER_DEFAULT,
            "rate_limit_burst": SERVER_DEFAULT,
            "assets_index_interval_seconds": SERVER_DEFAULT,
            "embedders": SERVER_DEFAULT,
        }
        settings = make_settings(**{**values, **overrides})
        clock = FrozenClock()
        container = build_container(settings, clock=clock)
        outbox = container.webhooks.outbox
        outbox.policy = replace(outbox.policy, jitter=0.0)  # exact schedules in assertions
        made.append(container)
        return Hooks(container, clock)

    yield make
    for container in made:
        container.close()
