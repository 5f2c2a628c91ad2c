"""The proxied call: an ASGI sub-request into this same app, relayed as it is answered.

No loopback connection: the sub-request goes through the app's whole stack (request id,
authentication, error rendering, metrics) like a request from outside, with the caller's
connection details, so the URLs it returns point where the caller reaches this server.
Its response messages are passed on as they come, which streams SSE through, and a
caller that hangs up is seen by the route answering it.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from impasto.platform.proxy.targets import TARGET_HEADER, Target

# Request headers that describe the caller's connection to the proxy, not the call.
_NOT_FORWARDED = frozenset(
    {
        "authorization",
        "connection",
        "content-length",
        "cookie",
        "expect",
        "keep-alive",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        TARGET_HEADER,
    }
)
# Response headers fal's proxy drops: the relayed body is re-framed.
_NOT_RELAYED = frozenset({b"content-length", b"content-encoding", b"transfer-encoding"})
CORS_HEADERS = {
    "access-control-allow-origin": "*",
    "access-control-expose-headers": "*",
}


def sub_scope(
    scope: Scope, target: Target, body: bytes, authorization: str | None
) -> dict[str, object]:
    """The scope of the call ``scope`` asks the proxy to make to ``target``."""
    headers = [
        (name, value)
        for name, value in scope["headers"]
        if name.decode("latin-1").lower() not in _NOT_FORWARDED
    ]
    headers.append((b"content-length", str(len(body)).encode()))
    if authorization:
        headers.append((b"authorization", authorization.encode("latin-1")))
    root = scope.get("root_path", "")
    return {
        "type": "http",
        "asgi": scope.get("asgi", {"version": "3.0"}),
        "http_version": scope.get("http_version", "1.1"),
        "method": scope["method"],
        "scheme": scope.get("scheme", "http"),
        "server": scope.get("server"),
        "client": scope.get("client"),
        "root_path": root,
        "path": root + target.path,
        "raw_path": (root + target.raw_path).encode("latin-1"),
        "query_string": target.query.encode("latin-1"),
        "headers": headers,
        "extensions": dict(scope.get("extensions") or {}),
        "state": {},
    }


class Relayed(Response):
    """The sub-request's own response, passed on message by message."""

    def __init__(self, app: ASGIApp, scope: dict[str, object], body: bytes, cors: bool) -> None:
        super().__init__()
        self.app = app
        self.target_scope = scope
        self.request_body = body
        self.cors = cors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        delivered = False

        async def sub_receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": self.request_body, "more_body": False}
            # The proxy has read the whole body: what comes next is the caller hanging up.
            return await receive()

        async def sub_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": self._relayed(message.get("headers", []))}
            await send(message)

        await self.app(self.target_scope, sub_receive, sub_send)

    def _relayed(self, headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        kept = [(name, value) for name, value in headers if name.lower() not in _NOT_RELAYED]
        if self.cors:
            names = {name.lower() for name, _ in kept}
            kept += [
                (name.encode(), value.encode())
                for name, value in CORS_HEADERS.items()
                if name.encode() not in names
            ]
        return kept
