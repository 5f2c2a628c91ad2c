"""The URL fetcher opens this server's own file URLs from the store, without HTTP."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from impasto.kit.errors import PermissionDenied
from tests.integration.files.conftest import Files

BASE = "https://media.example.test"


def _read(files: Files, url: str) -> bytes:
    async def read() -> bytes:
        async with files.container.url_fetcher.open(url) as body:
            return b"".join([chunk async for chunk in body.aiter_bytes()])

    return files.client.portal.call(read)  # type: ignore[union-attr]


def test_own_urls_are_read_from_the_store(make_files: Callable[..., Files]) -> None:
    # media.example.test does not resolve: a network fetch could only fail.
    files = make_files(public_url=BASE)
    key = files.key()
    url = files.upload(b"public bytes", key)
    assert url.startswith(f"{BASE}/files/b/")
    assert _read(files, url) == b"public bytes"

    private = files.upload(
        b"private", key, **{"X-Fal-Object-Lifecycle": '{"initial_acl": {"default": "forbid"}}'}
    )
    with pytest.raises(PermissionDenied):
        _read(files, private)
    signed = files.client.post(
        "/v1/storage/files/sign",
        params={"url": private},
        json={"expiration_seconds": 60},
        headers=key,
    ).json()["signed_url"]
    assert _read(files, signed) == b"private"
