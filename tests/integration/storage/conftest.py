"""One ``store`` fixture per adapter: memory, a local directory, and S3 on a real moto server."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from impasto.storage import ObjectStore
from impasto.storage.local import LocalObjectStore
from impasto.storage.memory import MemoryObjectStore
from impasto.storage.s3 import S3ObjectStore, make_s3_client

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_buckets = itertools.count()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on a free local port, shared by the session (no Docker)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def s3_client(s3_endpoint: str) -> S3Client:
    """One client for the session: building a boto3 client costs a few hundred ms."""
    return make_s3_client(
        endpoint_url=s3_endpoint,
        region="us-east-1",
        access_key_id="testing",
        secret_access_key="testing",
    )


@pytest.fixture
def s3_store(s3_client: S3Client) -> S3ObjectStore:
    """A store on a fresh bucket, so tests never see each other's blobs."""
    bucket = f"impasto-{next(_buckets)}"
    s3_client.create_bucket(Bucket=bucket)
    return S3ObjectStore(s3_client, bucket, prefix="impasto/test/")


@pytest.fixture(params=["memory", "local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "memory":
        return MemoryObjectStore()
    if request.param == "local":
        return LocalObjectStore(tmp_path / "objects")
    s3: S3ObjectStore = request.getfixturevalue("s3_store")
    return s3
