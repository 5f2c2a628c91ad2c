"""Outermost ASGI middleware: request id, log context, metrics, access log, last-resort 500.

It is plain ASGI (not ``BaseHTTPMiddleware``) so streaming responses pass through untouched.
It catches every exception before Starlette's ``ServerErrorMiddleware`` (which wraps it)
would, so that even an unhandled error answers in the surface's format and carries
``x-fal-request-id``.
"""

from __future__ import annotations

from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from impasto.kit.clock import Clock
from impasto.kit.errors import InternalError
from impasto.kit.http.errors import REQUEST_ID_HEADER, render_error
from impasto.kit.http.metrics import UNMATCHED_ROUTE, HttpMetrics
from impasto.kit.ids import IdGenerator
from impasto.kit.logging import get_logger

log = get_logger(__name__)


class RequestContextMiddleware:
    def __init__(
        self, app: ASGIApp, *, ids: IdGenerator, clock: Clock, metrics: HttpMetrics
    ) -> None:
        self.app = app
        self.ids = ids
        self.clock = clock
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = self.ids.new()
        scope.setdefault("state", {})["request_id"] = request_id
        started = self.clock.monotonic()
        status = 500
        response_started = False
        header = (REQUEST_ID_HEADER.encode(), request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                # A run's own request id (queue, /run) wins over the HTTP call's.
                if not any(name.lower() == header[0] for name, _ in headers):
                    headers.append(header)
                message["headers"] = headers
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            except Exception:
                log.exception("unhandled_error", path=scope.get("path"))
                if scope["type"] == "http" and not response_started:
                    response = render_error(
                        scope.get("path", ""), InternalError("Internal Server Error"), request_id
                    )
                    await response(scope, receive, send_with_id)
            finally:
                if scope["type"] == "http":
                    self._record(scope, status, self.clock.monotonic() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route: Any = scope.get("route")
        template = getattr(route, "path", None) or UNMATCHED_ROUTE
        method = scope.get("method", "GET")
        self.metrics.observe(template, method, status, seconds)
        log.info(
            "request",
            method=method,
            path=scope.get("path"),
            route=template,
            status=status,
            duration_ms=round(seconds * 1000, 2),
        )
