"""Fetching URLs on a user's behalf (upload from URL, model inputs given as URLs).

Only http and https; every hop of a redirect chain is checked again; connections go only
to vetted addresses (``transport``), while the Host header and TLS server name stay the
URL's host so certificates are still verified.
Bodies stream with a size cap, per-operation timeouts and an overall deadline. ``data:``
URIs are decoded in memory up to their own, smaller cap. URLs this server serves are
handed to an injected ``LocalUrlOpener`` and read from the store, without HTTP.
"""

from __future__ import annotations

import base64
import binascii
import email.message
import re
import ssl
import urllib.parse
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

import httpcore
import httpx

from impasto import __version__
from impasto.kit.clock import Clock
from impasto.kit.egress.addresses import AddressPolicy, Resolver
from impasto.kit.egress.errors import FetchFailed, FetchRefused
from impasto.kit.egress.transport import VettedTransport, request_target
from impasto.kit.errors import PayloadTooLarge

MAX_REDIRECTS = 5
MAX_URL_LENGTH = 8192
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_NAME = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"  # an RFC 9110 token
_MEDIA_TYPE = re.compile(rf"{_NAME}/{_NAME}(\s*;.*)?", re.DOTALL)


@dataclass(frozen=True, slots=True)
class FetchLimits:
    max_bytes: int = 1 << 30
    data_uri_max_bytes: int = 10 << 20
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 600.0


class FetchedBody:
    """An open response: metadata now, bytes streamed (once) through ``aiter_bytes``."""

    def __init__(
        self,
        *,
        url: str,
        content_type: str | None,
        content_length: int | None,
        file_name: str | None,
        chunks: AsyncIterator[bytes],
        max_bytes: int,
        clock: Clock | None = None,
        deadline: float | None = None,
    ) -> None:
        self.url = url
        self.content_type = content_type
        self.content_length = content_length
        self.file_name = file_name
        self._chunks = chunks
        self._max_bytes = max_bytes
        self._clock = clock
        self._deadline = deadline

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        received = 0
        try:
            async for chunk in self._chunks:
                received += len(chunk)
                if received > self._max_bytes:
                    raise PayloadTooLarge(f"The body of {self.url} exceeds {self._max_bytes} bytes")
                if self._clock and self._deadline and self._clock.monotonic() > self._deadline:
                    raise FetchFailed(f"Fetching {self.url} took too long")
                yield chunk
        except httpcore.TimeoutException:
            raise FetchFailed(f"Timed out reading {self.url}") from None
        except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
            raise FetchFailed(f"Reading {self.url} failed: {exc or type(exc).__name__}") from None
        if self.content_length is not None and received != self.content_length:
            raise FetchFailed(f"{self.url} sent {received} of {self.content_length} bytes")


class LocalUrlOpener(Protocol):
    def open_local(
        self, url: str, *, reader: str | None = None, origins: Sequence[str] = ()
    ) -> AbstractAsyncContextManager[FetchedBody] | None:
        """Open a URL this server serves straight from the store, as the owner ``reader``
        (``None``: anonymously); None when it is not ours (at its own origins, or at
        ``origins``)."""
        ...


def parse_fetch_url(url: str) -> httpx.URL:
    """Validate a URL the server may fetch: http(s), a host, no credentials."""
    if len(url) > MAX_URL_LENGTH:
        raise FetchRefused(f"URL is longer than {MAX_URL_LENGTH} characters")
    if any(not char.isprintable() or char.isspace() for char in url):
        raise FetchRefused("URL contains whitespace or control characters")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        raise FetchRefused("Malformed URL") from None
    if parsed.scheme not in {"http", "https"}:
        what = f"{parsed.scheme}:" if parsed.scheme else "a URL without a scheme"
        raise FetchRefused(f"Only http and https URLs can be fetched, not {what}")
    if not parsed.host:
        raise FetchRefused("URL has no host")
    if parsed.userinfo:
        raise FetchRefused("URLs with credentials are not accepted")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise FetchRefused("URL has an invalid port")
    return parsed.copy_with(fragment=None)


class UrlFetcher:
    def __init__(
        self,
        limits: FetchLimits,
        *,
        clock: Clock,
        policy: AddressPolicy | None = None,
        resolver: Resolver | None = None,
        local: LocalUrlOpener | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.limits = limits
        self.local = local
        self._clock = clock
        self._transport = VettedTransport(policy, resolver, ssl_context)

    @asynccontextmanager
    async def open(
        self, url: str, *, reader: str | None = None, origins: Sequence[str] = ()
    ) -> AsyncIterator[FetchedBody]:
        """Open ``url`` for reading; raises ``FetchRefused``, ``FetchFailed`` or 413.

        ``reader``: the owner on whose behalf it is read, which this server's own file
        URLs are checked against (their ACLs); ``None`` reads them as anyone would.
        ``origins``: where else this server is known to be reached (a request's base)."""
        if url[:5].lower() == "data:":
            yield decode_data_uri(url, self.limits.data_uri_max_bytes)
            return
        local = None
        if self.local is not None:
            local = self.local.open_local(url, reader=reader, origins=origins)
        if local is not None:
            async with local as body:
                yield body
            return
        async with self._open_http(parse_fetch_url(url)) as body:
            yield body

    @asynccontextmanager
    async def _open_http(self, url: httpx.URL) -> AsyncIterator[FetchedBody]:
        limits = self.limits
        deadline = self._clock.monotonic() + limits.total_timeout
        timeouts = {
            "connect": limits.connect_timeout,
            "pool": limits.connect_timeout,
            "read": limits.read_timeout,
            "write": limits.read_timeout,
        }
        async with self._transport.pool() as pool:
            for _hop in range(MAX_REDIRECTS + 1):
                response = await self._request(pool, url, timeouts)
                try:
                    if response.status in _REDIRECTS:
                        url = _redirect_target(url, response)
                        continue
                    if not 200 <= response.status < 300:
                        raise FetchFailed(f"{url} answered HTTP {response.status}")
                    length = _content_length(response)
                    if length is not None and length > limits.max_bytes:
                        raise PayloadTooLarge(f"The body of {url} exceeds {limits.max_bytes} bytes")
                    yield FetchedBody(
                        url=str(url),
                        content_type=_header(response, b"content-type"),
                        content_length=length,
                        file_name=download_name(_header(response, b"content-disposition"), url),
                        chunks=response.aiter_stream(),
                        max_bytes=limits.max_bytes,
                        clock=self._clock,
                        deadline=deadline,
                    )
                    return
                finally:
                    await response.aclose()
            raise FetchFailed(f"Too many redirects (more than {MAX_REDIRECTS})")

    async def _request(
        self, pool: httpcore.AsyncConnectionPool, url: httpx.URL, timeouts: dict[str, float]
    ) -> httpcore.Response:
        headers = [
            (b"Host", url.netloc),
            (b"User-Agent", f"impasto/{__version__}".encode()),
            (b"Accept", b"*/*"),
            (b"Accept-Encoding", b"identity"),  # the bytes as published, not re-encoded
        ]
        request = httpcore.Request(
            "GET", request_target(url), headers=headers, extensions={"timeout": timeouts}
        )
        try:
            return await pool.handle_async_request(request)
        except httpcore.TimeoutException:
            raise FetchFailed(f"Timed out fetching {url}") from None
        except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
            raise FetchFailed(f"Fetching {url} failed: {exc or type(exc).__name__}") from None


def _header(response: httpcore.Response, name: bytes) -> str | None:
    for key, value in response.headers:
        if key.lower() == name:
            return value.decode("latin-1").strip() or None
    return None


def _content_length(response: httpcore.Response) -> int | None:
    value = _header(response, b"content-length")
    if value is None or _header(response, b"transfer-encoding") is not None:
        return None
    if not value.isdigit():
        raise FetchFailed(f"Invalid Content-Length {value!r}")
    return int(value)


def _redirect_target(url: httpx.URL, response: httpcore.Response) -> httpx.URL:
    location = _header(response, b"location")
    if location is None:
        raise FetchFailed(f"{url} redirected without a Location")
    try:
        joined = url.join(location)
    except (httpx.InvalidURL, ValueError):
        raise FetchFailed(f"{url} redirected to a malformed URL") from None
    return parse_fetch_url(str(joined))


def download_name(disposition: str | None, url: httpx.URL) -> str | None:
    """The file name a response gives (Content-Disposition) or its URL's last segment; only
    ever a bare name, never a path."""
    name: str | None = None
    if disposition:
        message = email.message.Message()
        message["content-disposition"] = disposition
        name = message.get_filename()
    if not name:
        name = urllib.parse.unquote(url.path.rsplit("/", 1)[-1])
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # never a path
    name = "".join(char for char in name if char.isprintable()).strip()[:255]
    return name if name not in {"", ".", ".."} else None


async def _once(data: bytes) -> AsyncIterator[bytes]:
    if data:
        yield data


def decode_data_uri(uri: str, max_bytes: int) -> FetchedBody:
    """Decode an RFC 2397 ``data:`` URI (base64 or percent-encoded) up to ``max_bytes``."""
    header, comma, payload = uri[5:].partition(",")
    if not comma:
        raise FetchRefused("Malformed data: URI (no comma before the data)")
    params = header.split(";")
    is_base64 = len(params) > 1 and params[-1].strip().lower() == "base64"
    if is_base64:
        params.pop()
    media = ";".join(params).strip()
    if media.startswith(";") or not media:
        media = "text/plain" + (media or ";charset=US-ASCII")
    if not _MEDIA_TYPE.fullmatch(media):
        raise FetchRefused(f"data: URI has an invalid media type {media[:100]!r}")
    # A cheap bound before decoding: base64 and percent-encoding only ever shrink.
    if len(payload) > 3 * max_bytes + 4:
        raise PayloadTooLarge(f"data: URI exceeds {max_bytes} bytes")
    if is_base64:
        text = urllib.parse.unquote(payload) if "%" in payload else payload
        text = "".join(text.split())
        text += "=" * (-len(text) % 4)
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise FetchRefused("data: URI is not valid base64") from None
    else:
        data = urllib.parse.unquote_to_bytes(payload)
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"data: URI exceeds {max_bytes} bytes")
    return FetchedBody(
        url="data:",
        content_type=media,
        content_length=len(data),
        file_name=None,
        chunks=_once(data),
        max_bytes=max_bytes,
    )
