"""POSTing one signed webhook through the SSRF-safe connection machinery.

The connection goes through the same egress guard as URL fetches
(``kit/egress/transport.py``): every resolved address must pass the address policy
(``IMPASTO_FETCH_ALLOWED_NETWORKS`` opens loopback/private ranges), and the socket goes to
the vetted address. Redirects are never followed (a 3xx is a failed attempt), the whole
attempt has one deadline, and at most a few KiB of the answer are read.
"""

from __future__ import annotations

import ssl

import anyio
import httpcore
import httpx

from impasto import __version__
from impasto.kit.clock import Clock
from impasto.kit.egress.addresses import AddressPolicy, Resolver
from impasto.kit.egress.errors import FetchFailed, FetchRefused
from impasto.kit.egress.transport import VettedTransport, request_target
from impasto.webhooks.records import AttemptResult, ClaimedDelivery
from impasto.webhooks.signing import signature_headers
from impasto.webhooks.signing_keys import SigningKeys

MAX_RESPONSE_BYTES = 16 << 10
USER_AGENT = f"impasto-webhooks/{__version__}"


class WebhookSender:
    def __init__(
        self,
        keys: SigningKeys,
        clock: Clock,
        *,
        timeout: float,
        policy: AddressPolicy | None = None,
        resolver: Resolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.keys = keys
        self._clock = clock
        self._timeout = timeout
        self._transport = VettedTransport(policy, resolver, ssl_context)

    async def send(self, delivery: ClaimedDelivery) -> AttemptResult:
        """Make one attempt; never raises for anything the receiver or network does."""
        try:
            url = httpx.URL(delivery.url)
        except (httpx.InvalidURL, ValueError):
            return AttemptResult(error="malformed webhook URL")
        if url.scheme not in {"http", "https"} or not url.host:
            return AttemptResult(error="webhook URL is not http(s)")
        body = delivery.body.encode()
        headers = {
            "Host": url.netloc.decode("ascii"),
            "User-Agent": USER_AGENT,
            "Content-Type": "application/json",
            "Content-Length": str(len(body)),
            "Accept-Encoding": "identity",
            **signature_headers(
                self.keys,
                request_id=delivery.request_id,
                user_id=delivery.owner,
                timestamp=int(self._clock.now().timestamp()),
                body=body,
            ),
        }
        try:
            with anyio.fail_after(self._timeout):
                status = await self._post(url, headers, body)
        except (TimeoutError, httpcore.TimeoutException):
            return AttemptResult(error=f"timed out after {self._timeout:g} s")
        except (FetchRefused, FetchFailed) as exc:
            return AttemptResult(error=exc.message.replace("URL host", "webhook host"))
        except (httpcore.NetworkError, httpcore.ProtocolError, OSError) as exc:
            return AttemptResult(error=f"connection failed: {exc or type(exc).__name__}")
        return AttemptResult(status_code=status)

    async def _post(self, url: httpx.URL, headers: dict[str, str], body: bytes) -> int:
        timeouts = {name: self._timeout for name in ("connect", "pool", "read", "write")}
        async with self._transport.pool() as pool:
            request = httpcore.Request(
                "POST",
                request_target(url),
                headers=list(headers.items()),
                content=body,
                extensions={"timeout": timeouts},
            )
            response = await pool.handle_async_request(request)
            try:
                received = 0
                async for chunk in response.aiter_stream():
                    received += len(chunk)
                    if received >= MAX_RESPONSE_BYTES:
                        break  # the status is all that counts; do not read an endless body
            finally:
                await response.aclose()
            return response.status
