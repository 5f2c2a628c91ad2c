"""ObjectStore on an S3-compatible bucket: ``<prefix>blobs/<sha256>``.

Small blobs are hashed in memory and put in one request. Larger ones go up as a multipart
upload to ``<prefix>staging/<token>`` while being hashed, then are copied server-side to
their digest key, so a blob key never names partial bytes; an aborted or abandoned upload
is invisible (``purge_staging`` reclaims its parts). boto3 is synchronous: every call runs
in a worker thread.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from anyio import to_thread
from botocore.exceptions import ClientError

from impasto.storage.protocol import Blob, BlobNotFound, check_range, is_blob_key

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef, CopySourceTypeDef

PART_SIZE = 8 << 20  # buffered per upload: memory stays flat whatever the blob size
MIN_PART = 5 << 20  # S3's smallest part (all but the last)
MAX_COPY = 5 << 30  # largest single CopyObject / UploadPartCopy source
CHUNK_SIZE = 1 << 20
_T = TypeVar("_T")


def make_s3_client(
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
) -> S3Client:
    """A client for AWS (no ``endpoint_url``) or an S3-compatible service; credentials and
    region left out come from the standard AWS chain."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        region_name=region,
    )
    config = Config(
        retries={"mode": "standard"},
        max_pool_connections=32,
        # Many S3-compatible servers reject the newer default integrity headers.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return session.client("s3", endpoint_url=endpoint_url, config=config)


async def _run(func: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    return await to_thread.run_sync(lambda: func(*args, **kwargs))


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _is_missing(exc: ClientError) -> bool:
    return _error_code(exc) in {"404", "NoSuchKey", "NotFound"}


class S3BlobWriter:
    def __init__(self, store: S3ObjectStore) -> None:
        self._store = store
        self._hash = hashlib.sha256()
        self._buffer = bytearray()
        self._staging = store.staging_key(secrets.token_hex(16))
        self._upload_id: str | None = None
        self._parts: list[CompletedPartTypeDef] = []
        self._size = 0
        self._done = False

    @property
    def size(self) -> int:
        return self._size

    @property
    def staging(self) -> str:
        return self._staging

    async def write(self, chunk: bytes) -> None:
        if self._done:
            raise RuntimeError("writer is closed")
        self._buffer += chunk
        self._size += len(chunk)
        if len(self._buffer) >= PART_SIZE:
            data, self._buffer = bytes(self._buffer), bytearray()
            await to_thread.run_sync(self._upload_part_sync, data)

    async def commit(self) -> Blob:
        if self._done:
            raise RuntimeError("writer is closed")
        self._done = True
        data, self._buffer = bytes(self._buffer), bytearray()
        try:
            key = await to_thread.run_sync(self._commit_sync, data)
        except BaseException:
            await to_thread.run_sync(self._discard_sync)
            raise
        return Blob(key=key, size=self._size)

    async def abort(self) -> None:
        self._done = True
        self._buffer = bytearray()
        await to_thread.run_sync(self._discard_sync)

    def hash_sync(self, data: bytes) -> None:
        self._hash.update(data)

    def add_part_sync(self, upload: Callable[[str, int], str]) -> None:
        """Add one part through ``upload(upload_id, part_number) -> etag``."""
        client, bucket = self._store.client, self._store.bucket
        if self._upload_id is None:
            created = client.create_multipart_upload(Bucket=bucket, Key=self._staging)
            self._upload_id = created["UploadId"]
        number = len(self._parts) + 1
        self._parts.append({"PartNumber": number, "ETag": upload(self._upload_id, number)})

    def _upload_part_sync(self, data: bytes) -> None:
        self._hash.update(data)
        client, bucket, staging = self._store.client, self._store.bucket, self._staging

        def upload(upload_id: str, number: int) -> str:
            return client.upload_part(
                Bucket=bucket, Key=staging, UploadId=upload_id, PartNumber=number, Body=data
            )["ETag"]

        self.add_part_sync(upload)

    def _commit_sync(self, data: bytes) -> str:
        store = self._store
        if self._upload_id is None:  # small: one PUT straight to the digest key
            self._hash.update(data)
            key = self._hash.hexdigest()
            if not store.exists_sync(key):
                store.client.put_object(Bucket=store.bucket, Key=store.blob_key(key), Body=data)
            return key
        if data:
            self._upload_part_sync(data)
        return self.finish_sync()

    def finish_sync(self) -> str:
        """Complete the multipart upload and publish it under its digest."""
        store = self._store
        assert self._upload_id is not None
        store.client.complete_multipart_upload(
            Bucket=store.bucket,
            Key=self._staging,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": self._parts},
        )
        self._upload_id = None
        key = self._hash.hexdigest()
        if not store.exists_sync(key):
            store.copy_sync(self._staging, store.blob_key(key), self._size)
        store.client.delete_object(Bucket=store.bucket, Key=self._staging)
        return key

    def _discard_sync(self) -> None:
        store = self._store
        if self._upload_id is not None:
            store.client.abort_multipart_upload(
                Bucket=store.bucket, Key=self._staging, UploadId=self._upload_id
            )
            self._upload_id = None
        store.client.delete_object(Bucket=store.bucket, Key=self._staging)


class S3ObjectStore:
    def __init__(self, client: S3Client, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def blob_key(self, key: str) -> str:
        return f"{self.prefix}blobs/{key}"

    def staging_key(self, token: str) -> str:
        return f"{self.prefix}staging/{token}"

    def writer(self) -> S3BlobWriter:
        return S3BlobWriter(self)

    def head_sync(self, key: str) -> Blob | None:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.blob_key(key))
        except ClientError as exc:
            if _is_missing(exc):
                return None
            raise
        return Blob(key=key, size=head["ContentLength"])

    def exists_sync(self, key: str) -> bool:
        return self.head_sync(key) is not None

    def copy_sync(self, source: str, target: str, size: int) -> None:
        """Server-side copy; above 5 GiB S3 needs a multipart copy in ranges."""
        copy_source: CopySourceTypeDef = {"Bucket": self.bucket, "Key": source}
        if size <= MAX_COPY:
            self.client.copy_object(Bucket=self.bucket, Key=target, CopySource=copy_source)
            return
        upload_id = self.client.create_multipart_upload(Bucket=self.bucket, Key=target)["UploadId"]
        parts: list[CompletedPartTypeDef] = []
        try:
            step = 1 << 30
            for number, offset in enumerate(range(0, size, step), start=1):
                last = min(offset + step, size) - 1
                result = self.client.upload_part_copy(
                    Bucket=self.bucket,
                    Key=target,
                    UploadId=upload_id,
                    PartNumber=number,
                    CopySource=copy_source,
                    CopySourceRange=f"bytes={offset}-{last}",
                )
                parts.append({"PartNumber": number, "ETag": result["CopyPartResult"]["ETag"]})
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=target,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=target, UploadId=upload_id)
            raise

    async def stat(self, key: str) -> Blob | None:
        if not is_blob_key(key):
            return None
        return await to_thread.run_sync(self.head_sync, key)

    async def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        check_range(start, end)
        if not is_blob_key(key):
            raise BlobNotFound(key)
        if end == start:  # an empty range: S3 cannot express it, but existence still counts
            if await self.stat(key) is None:
                raise BlobNotFound(key)
            return
        extra: dict[str, str] = {}
        if start or end is not None:
            extra["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
        try:
            response = await _run(
                self.client.get_object, Bucket=self.bucket, Key=self.blob_key(key), **extra
            )
        except ClientError as exc:
            if _is_missing(exc):
                raise BlobNotFound(key) from None
            if _error_code(exc) == "InvalidRange":  # start at or past the end
                return
            raise
        body = response["Body"]
        try:
            while data := await to_thread.run_sync(body.read, CHUNK_SIZE):
                yield data
        finally:
            body.close()

    async def concat(self, keys: Sequence[str]) -> Blob:
        sizes: list[int] = []
        for key in keys:
            blob = await self.stat(key)
            if blob is None:
                raise BlobNotFound(key)
            sizes.append(blob.size)
        writer = self.writer()
        try:
            if len(keys) > 1 and _copyable(sizes):
                key = await self._concat_by_copy(writer, keys)
                return Blob(key=key, size=sum(sizes))
            for key in keys:
                async for chunk in self.read(key):
                    await writer.write(chunk)
        except BaseException:
            await writer.abort()
            raise
        return await writer.commit()

    async def _concat_by_copy(self, writer: S3BlobWriter, keys: Sequence[str]) -> str:
        # The digest of the whole needs every byte read once, but the bytes need not be
        # sent back up: parts are copied server-side while we hash them.
        for key in keys:
            source: CopySourceTypeDef = {"Bucket": self.bucket, "Key": self.blob_key(key)}

            def upload(upload_id: str, number: int, source: CopySourceTypeDef = source) -> str:
                result = self.client.upload_part_copy(
                    Bucket=self.bucket,
                    Key=writer.staging,
                    UploadId=upload_id,
                    PartNumber=number,
                    CopySource=source,
                )
                return result["CopyPartResult"]["ETag"]

            await to_thread.run_sync(writer.add_part_sync, upload)
            async for chunk in self.read(key):
                await to_thread.run_sync(writer.hash_sync, chunk)
        return await to_thread.run_sync(writer.finish_sync)

    async def delete(self, key: str) -> None:
        if is_blob_key(key):
            await _run(self.client.delete_object, Bucket=self.bucket, Key=self.blob_key(key))

    async def keys(self) -> AsyncIterator[str]:
        prefix = self.blob_key("")
        token: str | None = None
        while True:
            extra = {"ContinuationToken": token} if token else {}
            page = await _run(
                self.client.list_objects_v2, Bucket=self.bucket, Prefix=prefix, **extra
            )
            for item in page.get("Contents", []):
                name = item["Key"][len(prefix) :]
                if is_blob_key(name):
                    yield name
            if not page.get("IsTruncated"):
                return
            token = page["NextContinuationToken"]

    def local_path(self, key: str) -> None:
        return None

    def space_left(self) -> None:
        return None  # a bucket has no disk of ours to fill

    def purge_staging(self, before: datetime) -> int:
        """Abort uploads and delete staging objects older than ``before`` (crashed writers)."""
        prefix = self.staging_key("")
        removed = 0
        uploads = self.client.get_paginator("list_multipart_uploads")
        for page in uploads.paginate(Bucket=self.bucket, Prefix=prefix):
            for upload in page.get("Uploads", []):
                if upload["Initiated"] < before:
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    removed += 1
        objects = self.client.get_paginator("list_objects_v2")
        for listing in objects.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in listing.get("Contents", []):
                if item["LastModified"] < before:
                    self.client.delete_object(Bucket=self.bucket, Key=item["Key"])
                    removed += 1
        return removed


def _copyable(sizes: Sequence[int]) -> bool:
    """UploadPartCopy needs parts of 5 MiB..5 GiB, except the last, which must not be empty."""
    return (
        all(MIN_PART <= size <= MAX_COPY for size in sizes[:-1])
        and 0 < sizes[-1] <= MAX_COPY
        and len(sizes) <= 10_000
    )
