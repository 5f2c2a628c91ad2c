"""Connections that go only where the address policy allows: the egress guard itself.

Every outbound request made on a user's behalf (URL fetches, webhooks) opens its
connections here. A host name is resolved once, every address it resolves to must pass the
``AddressPolicy``, and the socket goes to that vetted address, so DNS rebinding cannot swap
in another one between check and connect. The Host header and the TLS server name stay
the URL's host, so certificates are still verified. Unix sockets are never opened.
"""

from __future__ import annotations

import ssl

import anyio
import httpcore
import httpx

from impasto.kit.egress.addresses import (
    AddressPolicy,
    IPAddress,
    Resolver,
    SystemResolver,
    parse_ip,
)
from impasto.kit.egress.errors import FetchFailed, FetchRefused


class VettingBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses the policy allows, resolving each name exactly once."""

    def __init__(self, policy: AddressPolicy, resolver: Resolver) -> None:
        self._policy = policy
        self._resolver = resolver
        self._inner = httpcore.AnyIOBackend()

    async def _addresses(self, host: str, port: int, limit: float | None) -> list[IPAddress]:
        literal = parse_ip(host)
        if literal is not None:
            return [literal]
        try:
            with anyio.fail_after(limit):
                addresses = await self._resolver.resolve(host, port)
        except TimeoutError:
            raise FetchFailed(f"Timed out resolving {host}") from None
        except OSError:
            raise FetchFailed(f"Cannot resolve host {host}") from None
        if not addresses:
            raise FetchFailed(f"Cannot resolve host {host}")
        return addresses

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: object = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._addresses(host, port, timeout)
        for address in addresses:  # one bad record is enough to refuse: no mixed answers
            reason = self._policy.refusal(address)
            if reason is not None:
                raise FetchRefused(f"URL host {host} resolves to a {reason}")
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(str(address), port, timeout=timeout)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: object = None,
    ) -> httpcore.AsyncNetworkStream:
        raise FetchRefused("Unix sockets cannot be fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class VettedTransport:
    """Connection pools whose every connection passed the address policy.

    A pool per operation (``async with transport.pool() as pool``): nothing is kept alive
    between a user's requests, so one user's connection never serves another's."""

    def __init__(
        self,
        policy: AddressPolicy | None = None,
        resolver: Resolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._backend = VettingBackend(policy or AddressPolicy(), resolver or SystemResolver())
        self._ssl = ssl_context or ssl.create_default_context()

    def pool(self) -> httpcore.AsyncConnectionPool:
        return httpcore.AsyncConnectionPool(
            ssl_context=self._ssl, network_backend=self._backend, retries=0
        )


def request_target(url: httpx.URL) -> httpcore.URL:
    """``url`` as httpcore takes it: the host stays a name, resolved by the backend."""
    return httpcore.URL(
        scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
    )
