"""CDN-style files: single uploads, read access (ACL, signed URLs), signing, ACLs, settings.

Read access, in order: a valid signature for the file grants it; the owner is always
allowed; otherwise the ACL decides for the caller's owner (anonymous callers get the
default). ``forbid`` is a 403, ``hide`` and expired files a 404.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from impasto.files.acl import Acl, Decision, Lifecycle
from impasto.files.core import FilesCore, FileView, NewFile
from impasto.files.paths import clean_content_type, clean_file_name
from impasto.files.repository import FileRepository
from impasto.files.urls import READ_PURPOSE, FileUrl, file_url, parse_file_url, same_origin
from impasto.files.urls import with_query as _with_query
from impasto.kit.errors import InvalidRequest, NotFound, PermissionDenied

TOKEN_PURPOSE = "storage-token"  # noqa: S105 - a label
MAX_SIGNED_SECONDS = 7 * 86400


class Access:
    """How a read was allowed; decides the response's cache policy."""

    PUBLIC = "public"
    PRIVATE = "private"
    SIGNED = "signed"


@dataclass(frozen=True, slots=True)
class ReadGrant:
    file: FileView
    access: str
    max_age: int  # seconds a cache may keep the response


@dataclass(frozen=True, slots=True)
class StorageToken:
    token: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class TokenHolder:
    owner: str
    key_id: str


class FileService:
    def __init__(self, core: FilesCore) -> None:
        self.core = core

    # -- tokens ---------------------------------------------------------------------------

    def issue_token(self, owner: str, key_id: str) -> StorageToken:
        now = self.core.clock.now()
        expires = int(now.timestamp()) + self.core.limits.token_seconds
        token = self.core.signer.token(TOKEN_PURPOSE, {"o": owner, "k": key_id}, expires)
        return StorageToken(
            token=token, created_at=now, expires_at=datetime.fromtimestamp(expires, now.tzinfo)
        )

    def read_token(self, token: str) -> TokenHolder | None:
        claims = self.core.signer.read_token(TOKEN_PURPOSE, token, self.core.now_seconds())
        if claims is None:
            return None
        owner, key_id = claims.get("o"), claims.get("k")
        if not isinstance(owner, str) or not isinstance(key_id, str):
            return None
        return TokenHolder(owner=owner, key_id=key_id)

    # -- uploads --------------------------------------------------------------------------

    async def upload(
        self,
        owner: str,
        chunks: AsyncIterator[bytes],
        *,
        content_type: str | None,
        file_name: str | None,
        lifecycle: Lifecycle,
        expected_length: int | None,
    ) -> FileView:
        """fal's ``POST /files/upload``: the body is the file."""
        media_type = clean_content_type(content_type)
        name = clean_file_name(file_name, media_type)
        acl, expiration = await self.core.resolve_lifecycle(owner, lifecycle)
        blob = await self.core.store_body(owner, chunks, expected_length)
        new = NewFile(
            owner=owner,
            file_name=name,
            content_type=media_type,
            acl=acl,
            expiration_seconds=expiration,
        )
        return await self.core.record(new, blob)

    # -- reading --------------------------------------------------------------------------

    async def open(
        self,
        file_id: str,
        name: str,
        *,
        caller: str | None,
        expires: int | None = None,
        signature: str | None = None,
    ) -> ReadGrant:
        """Check that ``caller`` (or the signature) may read the file; 403/404 if not."""
        view = await self._find(file_id)
        if view is None or view.path is not None or view.file_name != name:
            raise NotFound("File not found")
        now = self.core.now_seconds()
        if signature is not None:
            if expires is None or not self.core.signer.verify(
                READ_PURPOSE, file_id, expires, signature, now
            ):
                raise PermissionDenied("The signed URL is invalid or has expired")
            return ReadGrant(view, Access.SIGNED, max(0, min(expires - now, 3600)))
        return ReadGrant(view, *self._decide(view, caller))

    def _decide(self, view: FileView, caller: str | None) -> tuple[str, int]:
        decision = view.acl.decide(file_owner=view.owner, caller=caller)
        if decision is Decision.HIDE:
            raise NotFound("File not found")
        if decision is Decision.FORBID:
            raise PermissionDenied("You may not read this file")
        if not view.acl.is_public or view.acl.rules:
            return Access.PRIVATE, 0
        remaining = 365 * 86400
        if view.expires_at is not None:
            remaining = int((view.expires_at - self.core.clock.now()).total_seconds())
        return Access.PUBLIC, max(0, remaining)

    async def _find(self, file_id: str) -> FileView | None:
        def work(repo: FileRepository) -> FileView | None:
            row = repo.get_file(file_id)
            return FileView.of(row) if row is not None else None

        view = await self.core.db(work, write=False)
        if view is None or view.expired(self.core.clock.now()):
            return None
        return view

    def read(self, view: FileView, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        return self.core.store.read(view.blob_key, start, end)

    async def resolve_own(
        self, url: str, *, caller: str | None, bases: Sequence[str]
    ) -> FileView | None:
        """The file behind a URL this server handed out, read from the store, no HTTP.

        None when the URL is not one of ours (fetch it instead); 403/404 when it is ours
        but ``caller`` may not read it. Model inputs given as URLs go through here.
        """
        parsed = parse_file_url(url)
        if parsed is None or not any(same_origin(parsed.origin, base) for base in bases):
            return None
        grant = await self.open(
            parsed.file_id,
            parsed.name,
            caller=caller,
            expires=parsed.expires,
            signature=parsed.signature,
        )
        return grant.file

    # -- signing and ACLs -----------------------------------------------------------------

    async def sign(self, owner: str, url: str, seconds: int, base: str) -> str:
        if not 1 <= seconds <= MAX_SIGNED_SECONDS:
            raise InvalidRequest(f"expiration_seconds must be between 1 and {MAX_SIGNED_SECONDS}")
        view = await self._owned(owner, url)
        expires = self.core.now_seconds() + seconds
        signature = self.core.signer.sign(READ_PURPOSE, view.file_id, expires)
        return _with_query(
            file_url(base, view.file_id, view.file_name), expires=expires, signature=signature
        )

    async def get_acl(self, owner: str, url: str) -> Acl:
        return (await self._owned(owner, url)).acl

    async def put_acl(self, owner: str, url: str, acl: Acl) -> Acl:
        view = await self._owned(owner, url)
        now = self.core.clock.now()

        def work(repo: FileRepository) -> Acl:
            applied = acl.keep_users(repo.existing_accounts({user for user, _ in acl.rules}))
            row = repo.get_file(view.file_id)
            if row is None:
                raise NotFound("File not found")
            repo.set_acl(row, applied.to_json(), now)
            return applied

        return await self.core.db(work, write=True)

    async def _owned(self, owner: str, url: str) -> FileView:
        """The caller's own file behind a URL; anyone else's answers 404 (not revealed)."""
        parsed: FileUrl | None = parse_file_url(url)
        if parsed is None:
            raise InvalidRequest("url must be a file URL returned by the upload APIs")
        if parsed.signature is not None or parsed.expires is not None:
            raise InvalidRequest("url must not contain query parameters")
        view = await self._find(parsed.file_id)
        if view is None or view.owner != owner or view.file_name != parsed.name:
            raise NotFound("File not found")
        return view

    # -- owner storage settings -----------------------------------------------------------

    async def get_settings(self, owner: str) -> tuple[int | None, Acl | None]:
        def work(repo: FileRepository) -> tuple[int | None, Acl | None]:
            row = repo.get_settings(owner)
            if row is None:
                return None, None
            acl = Acl.from_json(row.initial_acl) if row.initial_acl is not None else None
            return row.expiration_duration_seconds, acl

        return await self.core.db(work, write=False)

    async def put_settings(
        self, owner: str, expiration: int | None, acl: Acl | None
    ) -> tuple[int | None, Acl | None]:
        now = self.core.clock.now()

        def work(repo: FileRepository) -> tuple[int | None, Acl | None]:
            applied = acl
            if applied is not None:
                known = repo.existing_accounts({user for user, _ in applied.rules})
                applied = applied.keep_users(known)
            repo.put_settings(
                owner, expiration, applied.to_json() if applied is not None else None, now
            )
            return expiration, applied

        return await self.core.db(work, write=True)
