"""The official Python client uploads to this server and gets byte-identical URLs back.

A real uvicorn server on 127.0.0.1 (an ephemeral port) and fal-client's own code, with its
URL constants patched as in the wire-protocol notes (§9.1); both databases.
"""

from __future__ import annotations

import asyncio
import gc
import io
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import fal_client
import fal_client.client as fc
import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import func, select

from impasto.container import Container
from impasto.models import BlobRecord, StoredFile
from tests.conftest import make_key

_CACHED = ("_auth", "_client", "_token_manager")

# fal-client 1.0.3 builds an httpx client per CDN upload and never closes it; its sockets
# are collected (and warned about) here, not in whichever test runs next.
pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not instance.started:
        if not thread.is_alive():
            raise RuntimeError("server did not start")
        threading.Event().wait(0.01)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=30)
    sock.close()


@pytest.fixture
def fal(server: str, container: Container, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point fal-client at the server; small multipart sizes so the test stays quick."""
    monkeypatch.setenv("FAL_KEY", make_key(container, "acme"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setattr(fc, "REST_URL", f"{server}/rest")
    monkeypatch.setattr(fc, "CDN_URL", server)
    monkeypatch.setattr(fc, "MULTIPART_THRESHOLD", 256 * 1024)
    monkeypatch.setattr(fc, "MULTIPART_CHUNK_SIZE", 100 * 1024)
    _forget_cached_clients()
    yield server
    _forget_cached_clients()
    gc.collect()


def _forget_cached_clients() -> None:
    # The module-level clients cache their credentials and token manager on first use.
    for client in (fal_client.sync_client, fal_client.async_client):
        for name in _CACHED:
            client.__dict__.pop(name, None)


def _download(url: str) -> bytes:
    response = httpx.get(url)
    assert response.status_code == 200, response.text
    return response.content


def _image() -> Image.Image:
    image = Image.new("RGB", (16, 8), (200, 40, 10))
    image.putpixel((3, 3), (0, 0, 255))
    return image


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="jpeg")
    return buffer.getvalue()


def test_sync_upload_file_upload_and_image(fal: str, tmp_path: Path) -> None:
    small = tmp_path / "notes.txt"
    small.write_bytes(b"a small text file\n")
    large = tmp_path / "large.bin"
    large.write_bytes(os.urandom(700 * 1024))  # over the threshold: multipart

    for path in (small, large):
        url = fal_client.upload_file(path)
        assert url.startswith(f"{fal}/files/b/")
        assert url.endswith(path.name)
        assert _download(url) == path.read_bytes()

    data = os.urandom(1000)
    url = fal_client.upload(data, "application/octet-stream", file_name="raw.bin")
    assert _download(url) == data
    big = os.urandom(300 * 1024)
    assert _download(fal_client.upload(big, "application/octet-stream")) == big

    image = _image()
    url = fal_client.upload_image(image)
    assert _download(url) == _jpeg(image)
    assert httpx.get(url).headers["content-type"] == "image/jpeg"


def test_async_upload_file_upload_and_image(fal: str, tmp_path: Path) -> None:
    small = tmp_path / "notes.txt"
    small.write_bytes(b"async text\n")
    large = tmp_path / "large.bin"
    large.write_bytes(os.urandom(500 * 1024))
    data = os.urandom(2048)
    big = os.urandom(400 * 1024)
    image = _image()

    async def go() -> list[tuple[str, bytes]]:
        return [
            (await fal_client.upload_file_async(small), small.read_bytes()),
            (await fal_client.upload_file_async(large), large.read_bytes()),
            (await fal_client.upload_async(data, "application/octet-stream"), data),
            (await fal_client.upload_async(big, "application/octet-stream"), big),
            (await fal_client.upload_image_async(image, format="png"), _png(image)),
        ]

    for url, expected in asyncio.run(go()):
        assert url.startswith(f"{fal}/files/b/")
        assert _download(url) == expected


def test_client_instances_and_lifecycle(fal: str, container: Container) -> None:
    client = fal_client.SyncClient(key=make_key(container, "globex"))
    lifecycle = fal_client.client.StorageSettings(
        expires_in="1h", initial_acl=fal_client.client.StorageACL(default="forbid")
    )
    url = client.upload(b"private bytes", "text/plain", file_name="p.txt", lifecycle=lifecycle)
    assert httpx.get(url).status_code == 403  # anonymous
    owner = httpx.get(url, headers={"Authorization": f"Key {client.key}"})
    assert owner.content == b"private bytes"


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="png")
    return buffer.getvalue()


def test_connection_dropped_mid_upload_leaves_nothing(server: str, container: Container) -> None:
    """A client that promises 4 MiB, sends 3 and hangs up: no file, no blob, no staging."""
    port = int(server.rsplit(":", 1)[1])
    credential = make_key(container, "acme")
    head = (
        "POST /files/upload HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"Authorization: Key {credential}\r\n"
        "Content-Type: application/octet-stream\r\n"
        f"Content-Length: {4 << 20}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(head + b"x" * (3 << 20))
    # The server notices the disconnect on its own time: poll until its staging is clean.
    httpx.get(f"{server}/health")
    pause = threading.Event()
    for _ in range(200):
        with container.database.session(write=False) as session:
            files = session.scalar(select(func.count()).select_from(StoredFile))
            blobs = session.scalar(select(func.count()).select_from(BlobRecord))
        staging = container.settings.data_dir / "objects" / ".staging"
        staged = list(staging.iterdir()) if staging.exists() else []
        if not staged:
            break
        pause.wait(0.05)
    assert files == 0
    assert blobs == 0
    assert staged == []
