"""What only the S3 adapter promises: key layout, no staging leftovers, purging crashed uploads."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from impasto.storage.s3 import PART_SIZE, S3ObjectStore

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

from tests.integration.storage.helpers import listed

pytestmark = pytest.mark.anyio


def bucket_keys(store: S3ObjectStore) -> list[str]:
    listing = store.client.list_objects_v2(Bucket=store.bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def open_uploads(store: S3ObjectStore) -> list[str]:
    listing = store.client.list_multipart_uploads(Bucket=store.bucket)
    return [upload["Key"] for upload in listing.get("Uploads", [])]


@pytest.mark.parametrize("size", [10, PART_SIZE + 10])
async def test_blobs_are_stored_under_prefix_and_digest_only(
    s3_store: S3ObjectStore, size: int
) -> None:
    data = b"z" * size
    writer = s3_store.writer()
    await writer.write(data)
    blob = await writer.commit()
    assert blob.key == hashlib.sha256(data).hexdigest()
    assert bucket_keys(s3_store) == [f"impasto/test/blobs/{blob.key}"]
    assert open_uploads(s3_store) == []


async def test_purge_staging_aborts_crashed_uploads(
    s3_store: S3ObjectStore, s3_client: S3Client
) -> None:
    writer = s3_store.writer()
    await writer.write(b"p" * (PART_SIZE + 1))  # one part uploaded, never completed
    assert open_uploads(s3_store) == [writer.staging]
    assert await listed(s3_store) == []
    # moto dates every upload 2010-11-10, so "too old" is tested against an earlier cutoff.
    assert s3_store.purge_staging(before=datetime(2000, 1, 1, tzinfo=UTC)) == 0
    future = datetime.now(UTC) + timedelta(days=1)
    assert s3_store.purge_staging(before=future) == 1
    assert open_uploads(s3_store) == []
    assert bucket_keys(s3_store) == []
