"""URLs and data: URIs the fetcher accepts or refuses before any network traffic."""

from __future__ import annotations

import httpx
import pytest
from pydantic import ValidationError

from impasto.config import Settings
from impasto.container import address_policy, fetch_limits
from impasto.kit.clock import FrozenClock
from impasto.kit.egress.errors import FetchRefused
from impasto.kit.egress.fetch import (
    FetchLimits,
    UrlFetcher,
    decode_data_uri,
    download_name,
    parse_fetch_url,
)
from impasto.kit.errors import InvalidRequest, PayloadTooLarge

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "not file:"),
        ("ftp://example.com/a", "not ftp:"),
        ("gopher://example.com:70/_x", "not gopher:"),
        ("javascript:alert(1)", "not javascript:"),
        ("//example.com/a", "without a scheme"),
        ("example.com/a", "without a scheme"),
        ("http://user:pass@example.com/", "credentials"),
        ("https://token@example.com/", "credentials"),
        ("http:///nohost", "no host"),
        ("http://exa mple.com/", "whitespace"),
        ("http://example.com/\r\nX-Injected: 1", "whitespace or control"),
        ("http://example.com:99999/", "invalid port"),
        ("http://[::1/", "Malformed"),
        ("http://example.com:0/", "invalid port"),
        ("http://" + "a" * 9000 + ".com/", "longer than"),
    ],
)
def test_bad_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(FetchRefused, match=message) as caught:
        parse_fetch_url(url)
    assert isinstance(caught.value, InvalidRequest)
    assert caught.value.status_code == 400


def test_good_urls_are_normalised() -> None:
    assert str(parse_fetch_url("HTTPS://Example.COM/a%20b?x=1#frag")) == (
        "https://example.com/a%20b?x=1"
    )


@pytest.mark.parametrize(
    ("uri", "data", "content_type"),
    [
        ("data:,hello%20world", b"hello world", "text/plain;charset=US-ASCII"),
        ("data:;charset=utf-8,%E2%82%AC", "€".encode(), "text/plain;charset=utf-8"),
        ("data:text/plain;base64,aGVsbG8=", b"hello", "text/plain"),
        ("data:image/png;base64,aGVsbG8", b"hello", "image/png"),  # padding optional
        ("data:image/png;BASE64,aGVs%0AbG8%3D", b"hello", "image/png"),
        ("data:application/octet-stream;base64,", b"", "application/octet-stream"),
        ("DATA:text/csv,a%2Cb", b"a,b", "text/csv"),
    ],
)
async def test_data_uris(uri: str, data: bytes, content_type: str) -> None:
    body = decode_data_uri(uri, max_bytes=64)
    assert body.content_type == content_type
    assert body.content_length == len(data)
    assert b"".join([chunk async for chunk in body.aiter_bytes()]) == data


@pytest.mark.parametrize(
    ("uri", "error", "message"),
    [
        ("data:text/plain;base64", FetchRefused, "no comma"),
        ("data:text/plain;base64,not*base64!", FetchRefused, "not valid base64"),
        ("data:text/plain;base64,aGVsbG8=aGVsbG8=", FetchRefused, "not valid base64"),
        ("data:not a type,hi", FetchRefused, "invalid media type"),
        ("data:text/plain," + "x" * 65, PayloadTooLarge, "exceeds 64 bytes"),
        ("data:text/plain;base64," + "QUFB" * 22, PayloadTooLarge, "exceeds 64 bytes"),
        ("data:text/plain," + "%41" * 500, PayloadTooLarge, "exceeds 64 bytes"),
    ],
)
def test_bad_data_uris(uri: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        decode_data_uri(uri, max_bytes=64)


async def test_the_fetcher_decodes_data_uris_with_its_own_cap() -> None:
    fetcher = UrlFetcher(FetchLimits(max_bytes=1 << 20, data_uri_max_bytes=4), clock=FrozenClock())
    async with fetcher.open("data:,abcd") as body:
        assert [chunk async for chunk in body.aiter_bytes()] == [b"abcd"]
    with pytest.raises(PayloadTooLarge):
        async with fetcher.open("data:,abcde"):
            pass


@pytest.mark.parametrize(
    ("disposition", "url", "name"),
    [
        ('attachment; filename="cat.png"', "https://x.example/a/b", "cat.png"),
        ("attachment; filename*=UTF-8''%E2%82%AC%20rates.csv", "https://x.example/", "€ rates.csv"),
        ('attachment; filename="../../etc/passwd"', "https://x.example/", "passwd"),
        ('attachment; filename="..\\\\evil.exe"', "https://x.example/", "evil.exe"),
        (None, "https://x.example/dir/photo%201.jpg?size=2", "photo 1.jpg"),
        (None, "https://x.example/", None),
        (None, "https://x.example/..", None),
        ("inline", "https://x.example/a.txt", "a.txt"),
    ],
)
def test_file_names(disposition: str | None, url: str, name: str | None) -> None:
    assert download_name(disposition, httpx.URL(url)) == name


def test_fetch_settings_reach_the_fetcher() -> None:
    settings = Settings(
        fetch_allowed_networks="10.0.0.0/8, 127.0.0.1",  # type: ignore[arg-type]
        fetch_max_bytes=123,
        data_uri_max_bytes=45,
        fetch_read_timeout_seconds=6,
    )
    fetcher = UrlFetcher(fetch_limits(settings), clock=FrozenClock())
    assert settings.fetch_allowed_networks == ["10.0.0.0/8", "127.0.0.1/32"]
    assert [str(n) for n in address_policy(settings).allowed] == ["10.0.0.0/8", "127.0.0.1/32"]
    assert (fetcher.limits.max_bytes, fetcher.limits.data_uri_max_bytes) == (123, 45)
    assert fetcher.limits.read_timeout == 6


def test_bad_allowed_networks_are_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(fetch_allowed_networks="10.0.0.0/33")  # type: ignore[arg-type]
