"""The session cookie as an API credential, behind a CSRF check.

A browser call that carries the cookie and no ``Authorization`` header gets
``Authorization: Session <secret>``, which ``keys.auth`` resolves like a key, so every
surface (``/v1``, ``/queue``, ``/files``, storage) accepts a signed-in browser without a
change of its own. A state-changing call (anything but GET, HEAD, OPTIONS) must also carry
the session's CSRF token in ``X-Impasto-CSRF``, or it is refused before it reaches a route.
Calls with their own ``Authorization`` header pass untouched, cookie or not.
"""

from __future__ import annotations

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from impasto.kit.errors import PermissionDenied
from impasto.kit.http.errors import render_error
from impasto.studio.cookies import COOKIE
from impasto.studio.tokens import csrf_matches, is_secret

CSRF_HEADER = "X-Impasto-CSRF"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The studio's own form posts check their token themselves (endpoints.py).
OWN_PATHS = frozenset({"/sign-in", "/sign-out"})
CSRF_REFUSED = f"A call made with the studio's session cookie needs its {CSRF_HEADER} header"


class SessionCookieMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OWN_PATHS:
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = list(scope["headers"])
        secret = _cookie_secret(headers)
        if secret is None or any(name == b"authorization" for name, _ in headers):
            await self.app(scope, receive, send)
            return
        if scope["method"] not in SAFE_METHODS:
            presented = _header(headers, CSRF_HEADER.lower().encode())
            if not csrf_matches(secret, presented):
                request_id = scope.get("state", {}).get("request_id")
                response = render_error(scope["path"], PermissionDenied(CSRF_REFUSED), request_id)
                await response(scope, receive, send)
                return
        headers.append((b"authorization", b"Session " + secret.encode()))
        # In place: the outer middleware reads the matched route from this same scope.
        scope["headers"] = headers
        await self.app(scope, receive, send)


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def _cookie_secret(headers: list[tuple[bytes, bytes]]) -> str | None:
    for key, value in headers:
        if key == b"cookie":
            secret = cookie_parser(value.decode("latin-1")).get(COOKIE)
            if secret is not None and is_secret(secret):
                return secret
    return None
