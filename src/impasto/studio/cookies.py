"""The session cookie: HttpOnly, SameSite=Strict, Secure when the page came over TLS."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import HTTPConnection
from starlette.responses import Response

COOKIE = "impasto_session"


def session_secret(connection: HTTPConnection) -> str | None:
    return connection.cookies.get(COOKIE) or None


def set_session(
    response: Response, connection: HTTPConnection, secret: str, expires: datetime
) -> None:
    response.set_cookie(
        COOKIE,
        secret,
        expires=expires,
        path="/",
        httponly=True,
        samesite="strict",
        secure=connection.url.scheme == "https",
    )


def clear_session(response: Response, connection: HTTPConnection) -> None:
    response.delete_cookie(
        COOKIE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=connection.url.scheme == "https",
    )
