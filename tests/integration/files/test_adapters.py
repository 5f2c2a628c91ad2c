"""The files API end to end on each ObjectStore adapter: memory, local and S3 (moto)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from impasto.app import create_app
from impasto.config import Settings
from impasto.container import build_container
from impasto.kit.clock import FrozenClock
from impasto.storage import ObjectStore
from impasto.storage.local import LocalObjectStore
from impasto.storage.memory import MemoryObjectStore
from impasto.storage.s3 import S3ObjectStore
from tests.integration.files.conftest import Files
from tests.integration.storage.conftest import s3_client, s3_endpoint, s3_store

__all__ = ["s3_client", "s3_endpoint", "s3_store"]  # fixtures shared with the storage suite


@pytest.fixture(params=["memory", "local", "s3"])
def adapter_files(
    request: pytest.FixtureRequest, settings: Settings, tmp_path: Path
) -> Iterator[Files]:
    from fastapi.testclient import TestClient

    store: ObjectStore
    if request.param == "memory":
        store = MemoryObjectStore()
    elif request.param == "local":
        store = LocalObjectStore(tmp_path / "objects")
    else:
        s3: S3ObjectStore = request.getfixturevalue("s3_store")
        store = s3
    clock = FrozenClock()
    container = build_container(
        settings.model_copy(update={"files_sweep_interval_seconds": 0}),
        clock=clock,
        object_store=store,
    )
    with TestClient(create_app(container.settings, container)) as client:
        yield Files(client, container, clock)
    container.close()


def test_upload_range_multipart_expiry(adapter_files: Files) -> None:
    files = adapter_files
    key = files.key()
    data = os.urandom(3 * 1024 * 1024 + 17)
    url = files.upload(
        data, key, **{"X-Fal-Object-Lifecycle": '{"expiration_duration_seconds": 60}'}
    )
    assert files.client.get(url).content == data
    part = files.client.get(url, headers={"Range": "bytes=1048570-1048580"})
    assert part.status_code == 206
    assert part.content == data[1048570:1048581]

    started = files.client.post("/files/upload/multipart", headers=key).json()
    base = f"{started['access_url']}/multipart/{started['uploadId']}"
    chunks = [data[:1_500_000], data[1_500_000:3_000_000], data[3_000_000:]]
    parts = []
    for number, chunk in enumerate(chunks, start=1):
        response = files.client.put(f"{base}/{number}", content=chunk, headers=key)
        parts.append({"partNumber": number, "etag": response.headers["etag"]})
    assert (
        files.client.post(f"{base}/complete", json={"parts": parts}, headers=key).status_code == 200
    )
    assert files.client.get(started["access_url"]).content == data  # same bytes: one blob

    files.clock.advance(61)
    files.sweep()
    files.clock.advance(3600)
    files.sweep()
    assert files.counts()["files"] == 1  # the multipart file has no expiry
    assert files.blobs_in_store() == 1  # the parts are gone, the shared blob stays
