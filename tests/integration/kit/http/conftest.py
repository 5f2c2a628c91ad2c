"""A real uvicorn server on 127.0.0.1 (an ephemeral port), configured as `impasto serve`
configures it, with limits small enough for the tests to hit them quickly."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from impasto.config import Settings
from impasto.container import server_limits
from impasto.kit.http.server import server_config

WAIT_SECONDS = 30.0  # a bound against hangs, never an assertion about speed
SMALL_LIMITS: dict[str, Any] = {
    "max_json_body_bytes": 256 << 10,  # above the 64 KiB thread threshold
    "max_header_bytes": 4096,
    "max_headers": 20,
    "header_timeout_seconds": 1.0,
    "body_timeout_seconds": 1.0,
    "keep_alive_timeout_seconds": 1,
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update=SMALL_LIMITS)


class Connection:
    """A raw client connection: bytes out exactly as given, responses read one by one."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT_SECONDS)
        self._stream = self.sock.makefile("rb")

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *_: object) -> None:
        self._stream.close()
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def response(self) -> tuple[int, dict[str, str], bytes]:
        """The next response (the server's are all Content-Length framed)."""
        status_line = self._stream.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection without a response")
        headers: dict[str, str] = {}
        while (line := self._stream.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = self._stream.read(int(headers.get("content-length", "0")))
        return int(status_line.split()[1]), headers, body

    def ended_by_server(self) -> bool:
        """Whether the server ends the connection within the timeout (read to EOF; a reset
        counts as ended), discarding whatever it still sends."""
        try:
            while self._stream.read1(65536):
                pass
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False
        return True


@dataclass
class LiveServer:
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def connect(self) -> Connection:
        return Connection(self.port)


@contextmanager
def serving(app: FastAPI, settings: Settings, **overrides: Any) -> Iterator[LiveServer]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(server_config(app, server_limits(settings, **overrides)))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("server did not start")
            threading.Event().wait(0.01)
        yield LiveServer(listener.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=WAIT_SECONDS)
        listener.close()


@pytest.fixture
def live(app: FastAPI, settings: Settings) -> Iterator[LiveServer]:
    with serving(app, settings) as server:
        yield server
