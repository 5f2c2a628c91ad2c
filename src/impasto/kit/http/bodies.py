"""Request bodies the app buffers (JSON): a size limit, and parsing off the event loop.

FastAPI reads a body parameter with ``await request.body()`` and ``await request.json()``
on the ``Request`` its route hands the endpoint. ``BoundedRoute`` (FastAPI's documented
extension point, "Custom Request and APIRoute class") hands it a ``BoundedRequest``:

- ``body()`` refuses a body over ``max_json_body_bytes`` with a 413, from the declared
  ``Content-Length`` before a byte is read, or while counting a chunked body the moment it
  passes the limit. Nothing more than the limit is ever held.
- ``json()`` parses with ``strict_json.parse_json`` (no NaN/Infinity, no overflowing
  numbers, nesting errors as ``json_invalid``), in a worker thread once the body is larger
  than ``PARSE_IN_THREAD_BYTES``.

``request.stream()`` is left alone: the upload routes (``/files/...``, ``PUT`` upload URLs,
``/v1/serverless/files/...``, ``/worker/v1/requests/*/files``) stream their bodies and
enforce ``max_upload_bytes`` themselves, so they are exempt without being listed.

Every router is declared with ``route_class=BoundedRoute`` (a subclass may fix its own
limit, as the operator's worker API does for results as large as a runner may send).
"""

from __future__ import annotations

from contextlib import aclosing
from typing import Any, ClassVar

import anyio.to_thread
from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from impasto.kit.http.strict_json import parse_json

DEFAULT_MAX_JSON_BODY_BYTES = 16 << 20
# Below this a parse takes well under a millisecond; a thread hop would cost more.
PARSE_IN_THREAD_BYTES = 64 << 10


class BodyTooLarge(HTTPException):
    """413, rendered in the caller's surface format by ``kit.http.errors`` like any 413.

    An ``HTTPException`` rather than an ``AppError`` because FastAPI re-raises only those
    from a body read; anything else there becomes its bare 400.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(
            status_code=413,
            detail=f"Request body is larger than {limit} bytes; upload large files "
            "(POST /files/upload, or fal_client.upload_file) and pass their URLs instead",
        )


class BoundedRequest(Request):
    limit: int | None = None  # None: the app's max_json_body_bytes

    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            limit = self.limit or max_json_body_bytes(self)
            declared = self.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise BodyTooLarge(limit)
            chunks: list[bytes] = []
            size = 0
            async with aclosing(self.stream()) as stream:
                async for chunk in stream:
                    size += len(chunk)
                    if size > limit:
                        raise BodyTooLarge(limit)
                    chunks.append(chunk)
            self._body = b"".join(chunks)
        return self._body

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            if len(body) > PARSE_IN_THREAD_BYTES:
                self._json = await anyio.to_thread.run_sync(parse_json, body)
            else:
                self._json = parse_json(body)
        return self._json


class BoundedRoute(APIRoute):
    """An ``APIRoute`` whose endpoint and body parameters see a ``BoundedRequest``."""

    max_body_bytes: ClassVar[int | None] = None  # None: the app's max_json_body_bytes

    def get_route_handler(self) -> Any:
        handle = super().get_route_handler()
        limit = self.max_body_bytes

        async def handle_bounded(request: Request) -> Response:
            bounded = BoundedRequest(request.scope, request.receive)
            bounded.limit = limit
            return await handle(bounded)

        return handle_bounded


def install_body_limits(app: FastAPI, max_json_body_bytes: int) -> None:
    """The limit routers' ``BoundedRoute``s read, and the same class for routes declared on
    ``app`` itself."""
    app.state.max_json_body_bytes = max_json_body_bytes
    app.router.route_class = BoundedRoute


def max_json_body_bytes(request: Request) -> int:
    limit = getattr(request.app.state, "max_json_body_bytes", None)
    return limit if isinstance(limit, int) else DEFAULT_MAX_JSON_BODY_BYTES
