"""Where this server is reached: the base of the URLs it returns, and the origins it
recognises as its own in URLs it is given.

URLs this server returns (file URLs, ``status_url``...) start with the operator's
``public_url`` when one is configured, else with the base URL of the request they answer,
so each caller gets URLs with the scheme and host it used.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

# Addresses a server binds to but no client connects to.
_WILDCARDS = frozenset({"0.0.0.0", "::"})  # noqa: S104


def base_url(connection: HTTPConnection, public_url: str | None) -> str:
    """The base of the URLs returned on ``connection``: ``public_url``, else its own."""
    return public_url or str(connection.base_url).rstrip("/")


def own_bases(connection: HTTPConnection, public_url: str | None) -> list[str]:
    """The bases a URL of this server's may come with on ``connection``."""
    bases = [str(connection.base_url).rstrip("/")]
    return [public_url, *bases] if public_url else bases


def own_origins(public_url: str | None, host: str, port: int) -> list[str]:
    """Origins this server is known by without a request to ask: ``public_url``, and the
    loopback and bound addresses on ``port`` (0: an ephemeral port, none known)."""
    origins = [public_url] if public_url else []
    if port:
        hosts = {host, "127.0.0.1", "localhost"} - _WILDCARDS
        origins += [f"http://{name}:{port}" for name in sorted(hosts)]
    return origins
