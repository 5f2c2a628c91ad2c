"""Two-step uploads: initiate, then a signed PUT (fal's storage protocol) or parts.

``initiate`` reserves a file id and returns URLs; the bytes then arrive either as one
``PUT`` to a signed ``upload_url`` (JS ``@fal-ai/client``, the serverless SDK) or as
numbered parts that ``complete`` joins (fal-client's multipart for files over 100 MiB).
Parts are blobs of their own until completion; an upload never completed goes stale and
the sweeper removes it with its parts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta

from impasto.files.acl import Acl, Lifecycle
from impasto.files.core import FilesCore, FileView, NewFile
from impasto.files.paths import clean_content_type, clean_file_name
from impasto.files.repository import FileRepository
from impasto.files.streams import require_space
from impasto.files.urls import UPLOAD_PURPOSE, file_url, with_query
from impasto.kit.errors import (
    Conflict,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    Unauthenticated,
)
from impasto.models import PendingUpload
from impasto.storage import BlobNotFound

MAX_PART_NUMBER = 10_000
SINGLE = "single"
MULTIPART = "multipart"


@dataclass(frozen=True, slots=True)
class PendingView:
    upload_id: str
    file_id: str
    owner: str
    kind: str
    file_name: str
    content_type: str

    @classmethod
    def of(cls, row: PendingUpload) -> PendingView:
        return cls(row.upload_id, row.file_id, row.owner, row.kind, row.file_name, row.content_type)


@dataclass(frozen=True, slots=True)
class UploadCaller:
    """Who sends bytes: an authenticated owner, or the holder of a signed upload URL."""

    owner: str | None = None
    expires: int | None = None
    signature: str | None = None


class UploadService:
    def __init__(self, core: FilesCore) -> None:
        self.core = core

    async def initiate(
        self,
        owner: str,
        *,
        kind: str,
        file_name: str | None,
        content_type: str | None,
        lifecycle: Lifecycle,
    ) -> PendingView:
        media_type = clean_content_type(content_type)
        name = clean_file_name(file_name, media_type)
        acl, expiration = await self.core.resolve_lifecycle(owner, lifecycle)
        now = self.core.clock.now()
        row = PendingUpload(
            upload_id=self.core.ids.new(),
            file_id=self.core.ids.new(),
            owner=owner,
            kind=kind,
            file_name=name,
            content_type=media_type,
            acl=acl.to_json(),
            expiration_seconds=expiration,
            created_at=now,
            stale_at=now + timedelta(seconds=self.core.limits.stale_upload_seconds),
        )
        await self.core.db(lambda repo: repo.add_upload(row), write=True)
        return PendingView.of(row)

    def file_url(self, base: str, pending: PendingView) -> str:
        return file_url(base, pending.file_id, pending.file_name)

    def upload_url(self, base: str, pending: PendingView) -> str:
        """Where the bytes go; signed, because the JS client sends no credentials there."""
        expires = self.core.now_seconds() + self.core.limits.upload_url_seconds
        signature = self.core.signer.sign(UPLOAD_PURPOSE, pending.upload_id, expires)
        url = self.file_url(base, pending)
        if pending.kind == MULTIPART:
            url = f"{url}/multipart/{pending.upload_id}"
            return with_query(url, expires=expires, signature=signature)
        return with_query(url, upload_id=pending.upload_id, expires=expires, signature=signature)

    # -- bytes ----------------------------------------------------------------------------

    async def put_single(
        self,
        upload_id: str,
        file_id: str,
        name: str,
        caller: UploadCaller,
        chunks: AsyncIterator[bytes],
        expected_length: int | None,
    ) -> FileView:
        pending = await self._authorized(upload_id, file_id, name, caller, SINGLE)
        blob = await self.core.store_body(pending.owner, chunks, expected_length)
        return await self.core.record(
            await self._new_file(pending), blob, extra=self._finish(pending)
        )

    async def put_part(
        self,
        upload_id: str,
        file_id: str,
        name: str,
        number: int,
        caller: UploadCaller,
        chunks: AsyncIterator[bytes],
        expected_length: int | None,
    ) -> str:
        """Store one part; returns its ETag value (the part's sha256)."""
        if not 1 <= number <= MAX_PART_NUMBER:
            raise InvalidRequest(f"part number must be between 1 and {MAX_PART_NUMBER}")
        pending = await self._authorized(upload_id, file_id, name, caller, MULTIPART)

        def others(repo: FileRepository) -> int:
            return sum(p.size for p in repo.parts(upload_id) if p.part_number != number)

        before = await self.core.db(others, write=False)
        blob = await self.core.store_body(pending.owner, chunks, expected_length, pending=before)
        now = self.core.clock.now()

        def work(repo: FileRepository) -> None:
            if repo.get_upload(upload_id) is None:
                raise NotFound("Upload not found; it was completed or has expired")
            repo.reference_blob(blob.key, blob.size, now)
            replaced = repo.put_part(upload_id, number, blob.key, blob.size)
            if replaced is not None:
                repo.release_if_unreferenced({replaced}, now)

        try:
            await self.core.db(work, write=True)
        except BaseException:
            await self.core.release_orphan(blob)
            raise
        return blob.key

    async def complete(
        self,
        upload_id: str,
        file_id: str,
        name: str,
        caller: UploadCaller,
        parts: Sequence[tuple[int, str]],
    ) -> FileView:
        """Join the listed parts, numbered 1..N, each with the ETag its upload returned."""
        done = await self._already_completed(upload_id, file_id, caller)
        if done is not None:
            return done  # a retried complete whose first answer was lost
        pending = await self._authorized(upload_id, file_id, name, caller, MULTIPART)
        wanted = _check_part_list(parts)
        stored = {
            p.part_number: (p.blob_key, p.size)
            for p in await self.core.db(lambda repo: repo.parts(upload_id), write=False)
        }
        keys: list[str] = []
        for number, etag in wanted:
            if number not in stored:
                raise InvalidRequest(f"part {number} was never uploaded")
            if stored[number][0] != etag:
                raise InvalidRequest(f"ETag of part {number} does not match the uploaded part")
            keys.append(stored[number][0])
        total = sum(stored[number][1] for number, _ in wanted)
        if total > self.core.limits.max_upload_bytes:
            raise PayloadTooLarge(
                f"File is larger than the upload limit of {self.core.limits.max_upload_bytes} bytes"
            )
        require_space(self.core.store, total)  # the joined copy is written next to the parts
        try:
            blob = await self.core.store.concat(keys)
        except BlobNotFound:
            raise Conflict("A part's bytes are missing; upload the file again") from None
        return await self.core.record(
            await self._new_file(pending), blob, extra=self._finish(pending)
        )

    # -- helpers --------------------------------------------------------------------------

    async def _authorized(
        self, upload_id: str, file_id: str, name: str, caller: UploadCaller, kind: str
    ) -> PendingView:
        now = self.core.clock.now()

        def work(repo: FileRepository) -> PendingView | None:
            row = repo.get_upload(upload_id)
            if row is None or row.stale_at <= now:
                return None
            return PendingView.of(row)

        pending = await self.core.db(work, write=False)
        if pending is None or pending.file_id != file_id or pending.file_name != name:
            raise NotFound("Upload not found; it was completed or has expired")
        if pending.kind != kind:
            raise InvalidRequest(f"this upload takes {pending.kind} requests")
        if caller.owner is not None:
            if caller.owner != pending.owner:
                raise NotFound("Upload not found; it was completed or has expired")
            return pending
        if caller.signature is None or caller.expires is None:
            raise Unauthenticated("Upload needs a storage token or a signed upload URL")
        if not self.core.signer.verify(
            UPLOAD_PURPOSE, upload_id, caller.expires, caller.signature, self.core.now_seconds()
        ):
            raise PermissionDenied("The signed upload URL is invalid or has expired")
        return pending

    async def _already_completed(
        self, upload_id: str, file_id: str, caller: UploadCaller
    ) -> FileView | None:
        def work(repo: FileRepository) -> FileView | None:
            if repo.get_upload(upload_id) is not None:
                return None
            row = repo.get_file(file_id)
            return FileView.of(row) if row is not None else None

        view = await self.core.db(work, write=False)
        if view is None:
            return None
        if caller.owner is not None:
            return view if view.owner == caller.owner else None
        signed = caller.signature is not None and caller.expires is not None
        if signed and self.core.signer.verify(
            UPLOAD_PURPOSE,
            upload_id,
            caller.expires or 0,
            caller.signature or "",
            self.core.now_seconds(),
        ):
            return view
        return None

    async def _new_file(self, pending: PendingView) -> NewFile:
        def work(repo: FileRepository) -> NewFile:
            row = repo.get_upload(pending.upload_id)
            if row is None:
                raise NotFound("Upload not found; it was completed or has expired")
            return NewFile(
                owner=row.owner,
                file_name=row.file_name,
                content_type=row.content_type,
                acl=Acl.from_json(row.acl),
                expiration_seconds=row.expiration_seconds,
                file_id=row.file_id,
            )

        return await self.core.db(work, write=False)

    def _finish(self, pending: PendingView) -> _Finish:
        return _Finish(pending.upload_id, self.core)


class _Finish:
    """Runs inside the recording transaction: the upload must still be pending."""

    def __init__(self, upload_id: str, core: FilesCore) -> None:
        self._upload_id = upload_id
        self._core = core

    def __call__(self, repo: FileRepository) -> None:
        row = repo.get_upload(self._upload_id)
        if row is None:
            raise Conflict("This upload was already completed")
        released = repo.delete_upload(row)
        repo.release_if_unreferenced(released, self._core.clock.now())


def _check_part_list(parts: Sequence[tuple[int, str]]) -> list[tuple[int, str]]:
    if not parts:
        raise InvalidRequest("parts must list at least one part")
    if len(parts) > MAX_PART_NUMBER:
        raise InvalidRequest(f"at most {MAX_PART_NUMBER} parts")
    ordered = sorted((number, _etag_value(etag)) for number, etag in parts)
    numbers = [number for number, _ in ordered]
    if len(set(numbers)) != len(numbers):
        raise InvalidRequest("each part number may be listed once")
    if numbers != list(range(1, len(numbers) + 1)):
        raise InvalidRequest("parts must be numbered 1..N without gaps")
    return ordered


def _etag_value(etag: str) -> str:
    return etag.strip().removeprefix("W/").strip('"')
