"""HTTP/1.1 connections with limits: uvicorn's httptools protocol, made safe to expose.

uvicorn's ``httptools`` protocol (its ``auto`` choice) has no limit on the size or number
of header fields, no deadline for a request head, no timeout while it waits for a request
body, and its ``limit_concurrency`` answers 503 only once a head has arrived, after the
connection has taken a file descriptor. ``LimitedHttpProtocol`` adds, per connection:

- **Head size and count**: bytes are fed to the parser only while the head stays within
  ``max_header_bytes``; past it, or past ``max_headers`` fields, the answer is 431 and
  the connection closes. Nothing larger than the limit is ever buffered.
- **Head deadline**: the whole head must arrive within ``header_timeout`` of its first
  byte (of the connection, for the first request). It is a total deadline, not an idle
  timer, so a client trickling one byte every few seconds is cut off too (408).
- **Body timeout**: while the app waits for request body that the client owes, silence
  longer than ``body_timeout`` ends the connection (408 if no answer has started). Time
  the server itself is not reading (flow control paused, the app busy, an
  ``Expect: 100-continue`` not yet answered) does not count against the client.
- **Linger**: when the app answers before the body is complete (a 413, a body it never
  reads), the rest is read and discarded for at most ``linger_seconds``, so that a client
  still sending can read the answer, and then the connection closes.
- **Pipelining**: at most ``MAX_PIPELINED`` requests may wait behind the one being
  answered; past that the connection closes, since each holds its state in memory.
- **Connection cap**: past ``max_connections`` open connections (WebSockets included), a
  new one gets a canned 503 at once and is closed, holding its descriptor for no longer.

These rejections are written raw (plain text, ``connection: close``), as uvicorn's own
400 for unparseable requests is: no request exists yet for the app to answer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from impasto.kit.logging import get_logger

log = get_logger(__name__)

# Requests a client may queue behind the one being answered (HTTP/1.1 pipelining).
MAX_PIPELINED = 32


@dataclass(frozen=True)
class ConnectionLimits:
    max_header_bytes: int = 64 << 10
    max_headers: int = 100
    header_timeout: float = 30.0
    body_timeout: float = 60.0
    max_connections: int = 1000
    linger_seconds: float = 10.0


def _canned(status: int, phrase: str, message: str, *headers: bytes) -> bytes:
    body = message.encode()
    head = [
        f"HTTP/1.1 {status} {phrase}".encode(),
        b"content-type: text/plain; charset=utf-8",
        b"content-length: %d" % len(body),
        b"connection: close",
        *headers,
    ]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


_OVER_CAPACITY = _canned(503, "Service Unavailable", "Too many connections", b"retry-after: 1")


class _Tally:
    """Counts refusals, to log them once a second: a flood must not become a log flood."""

    def __init__(self) -> None:
        self._count = 0
        self._logged_at = float("-inf")

    def count(self, now: float) -> int:
        """One more; returns how many to report now, or 0 until a second has passed."""
        self._count += 1
        if now - self._logged_at < 1.0:
            return 0
        count, self._count, self._logged_at = self._count, 0, now
        return count


_refusals = _Tally()


class _Flow(FlowControl):
    """uvicorn's flow control, noting whenever the app asks for more request body."""

    def __init__(self, transport: asyncio.Transport, protocol: LimitedHttpProtocol) -> None:
        super().__init__(transport)
        self._protocol = protocol

    def resume_reading(self) -> None:
        # The wait for the client's body starts now, whatever came before.
        if self._protocol._in_body:
            self._protocol._body_seen = self._protocol.loop.time()
        super().resume_reading()


class LimitedHttpProtocol(HttpToolsProtocol):
    limits: ClassVar[ConnectionLimits] = ConnectionLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stopped = False  # refused, rejected or handed to a WebSocket: read no more
        self._in_head = True  # between requests counts as head: the next one starts there
        self._head_bytes = 0
        self._heads_done = 0
        self._in_body = False
        self._draining = False
        self._body_seen = 0.0  # when the client last sent body, or the app last asked for it
        self._head_deadline: asyncio.TimerHandle | None = None
        self._body_check: asyncio.TimerHandle | None = None
        self._linger: asyncio.TimerHandle | None = None
        self._running: RequestResponseCycle | None = None

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.flow = _Flow(transport, self)
        if len(self.connections) > self.limits.max_connections:
            self._stopped = True
            if refused := _refusals.count(self.loop.time()):
                limit = self.limits.max_connections
                log.warning("connections_refused", limit=limit, refused=refused)
            self.transport.write(_OVER_CAPACITY)
            self.transport.close()
            return
        self._head_deadline = self.loop.call_later(self.limits.header_timeout, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._stopped:
            return
        if self._in_head:
            room = self.limits.max_header_bytes - self._head_bytes
            if len(data) > room:
                self._overflowing_head(data, room)
                return
            self._head_bytes += len(data)
        elif self._in_body:
            self._body_seen = self.loop.time()
        super().data_received(data)
        self._arm_timers()

    def _overflowing_head(self, data: bytes, room: int) -> None:
        """Feed no more than the head may still take; the rest only once it has ended."""
        heads_done = self._heads_done
        self._head_bytes += room
        super().data_received(data[:room])
        if self._stopped or self.transport.is_closing():
            return
        if self._heads_done == heads_done:
            limit = self.limits.max_header_bytes
            self._reject(431, "Request Header Fields Too Large", f"Head over {limit} bytes")
            return
        self.data_received(data[room:])

    def _arm_timers(self) -> None:
        """Timers only for what did not arrive in one read, as most requests do."""
        if self._stopped:
            return
        if self._in_body:
            if self._body_check is None:
                self._body_seen = self.loop.time()
                self._body_check = self.loop.call_later(self.limits.body_timeout, self._check_body)
        elif self._head_bytes and self._head_deadline is None:
            # Part of a head, whose first bytes came in this read: its deadline starts now.
            self._head_deadline = self.loop.call_later(
                self.limits.header_timeout, self._head_timed_out
            )

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        # self.cycle is the last request parsed; with pipelining, not the one being answered.
        self._running = cycle
        super()._start_asgi_task(cycle, app)

    def handle_websocket_upgrade(self) -> None:
        self._stopped = True
        self._cancel_timers()
        super().handle_websocket_upgrade()

    # httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        if len(self.headers) >= self.limits.max_headers:  # uvicorn's list for this head
            if not self._stopped:
                limit = self.limits.max_headers
                self._reject(431, "Request Header Fields Too Large", f"Over {limit} header fields")
            return
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self._stopped:
            return
        self._in_head = False
        self._heads_done += 1
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None
        if self.timeout_keep_alive_task is not None:
            # A request is in flight from here: no keep-alive timer may close under it.
            self._unset_keepalive_if_required()
        if len(self.pipeline) >= MAX_PIPELINED:
            # Each queued request holds its state; one read could otherwise queue thousands.
            self._reject(503, "Service Unavailable", f"Over {MAX_PIPELINED} pipelined requests")
            return
        previous = self.cycle
        super().on_headers_complete()
        self._in_body = self.cycle is not previous  # a request, not a WebSocket upgrade

    def on_body(self, body: bytes) -> None:
        if not self._stopped:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._stopped:
            return
        super().on_message_complete()
        self._in_body = False
        self._in_head = True
        self._head_bytes = 0
        if self._body_check is not None:
            self._body_check.cancel()
            self._body_check = None
        if self._draining:
            self._draining = False
            self._cancel(self._linger)
            self._linger = None
            if self.cycle.response_complete and not self.transport.is_closing():
                self.timeout_keep_alive_task = self.loop.call_later(
                    self.timeout_keep_alive, self.timeout_keep_alive_handler
                )

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._in_body and not self.transport.is_closing():
            # Answered before the body ended: discard the rest for a while, then close.
            self._draining = True
            self._linger = self.loop.call_later(self.limits.linger_seconds, self._close)

    # Deadlines

    def _client_owes_body(self) -> bool:
        if self._draining:
            return True
        cycle = self.cycle
        # Paused reading, unread bytes, an unanswered 100-continue: the wait is the server's.
        return not (self.flow.read_paused or cycle.body or cycle.waiting_for_100_continue)

    def _check_body(self) -> None:
        self._body_check = None
        if not self._in_body or self._stopped or self.transport.is_closing():
            return
        now = self.loop.time()
        if not self._client_owes_body():
            self._body_seen = now
        idle = now - self._body_seen
        timeout = self.limits.body_timeout
        if idle >= timeout:
            self._reject(408, "Request Timeout", f"No request body for {timeout:g} s")
            return
        self._body_check = self.loop.call_later(timeout - idle, self._check_body)

    def _head_timed_out(self) -> None:
        self._head_deadline = None
        if not self._in_head or self._stopped or self.transport.is_closing():
            return
        timeout = self.limits.header_timeout
        if self.cycle is not None and not self.cycle.response_complete:
            # A pipelined head behind a request still being answered: the server's wait.
            self._head_deadline = self.loop.call_later(timeout, self._head_timed_out)
            return
        if self._head_bytes == 0:
            self._close()  # a connection that never sent a byte: nothing to answer
            return
        self._reject(408, "Request Timeout", f"Request head not complete after {timeout:g} s")

    # Endings

    def _reject(self, status: int, phrase: str, message: str) -> None:
        self._stopped = True
        self._cancel_timers()
        log.info("connection_closed", status=status, reason=message, client=self.client)
        cycle = self.cycle
        # Write only where no answer of the app's can be under way on this connection.
        idle = cycle is None or cycle.response_complete
        if idle or (self._in_body and not cycle.response_started):
            self.transport.write(_canned(status, phrase, message))
        self._close()

    def _close(self) -> None:
        self._cancel_timers()
        for cycle in (self._running, self.cycle):
            if cycle is not None and not cycle.response_complete:
                # What connection_lost will do, at once: the app's writes to a closed
                # transport would raise, and a wait for body must end.
                cycle.disconnected = True
                cycle.message_event.set()
        if not self.transport.is_closing():
            self.transport.close()

    def _cancel_timers(self) -> None:
        for timer in (self._head_deadline, self._body_check, self._linger):
            self._cancel(timer)
        self._head_deadline = self._body_check = self._linger = None

    @staticmethod
    def _cancel(timer: asyncio.TimerHandle | None) -> None:
        if timer is not None:
            timer.cancel()


def limited_protocol(limits: ConnectionLimits) -> type[LimitedHttpProtocol]:
    """A ``LimitedHttpProtocol`` class bound to ``limits``, for ``uvicorn.Config(http=...)``."""
    return cast(
        type[LimitedHttpProtocol],
        type("LimitedHttpProtocol", (LimitedHttpProtocol,), {"limits": limits}),
    )
