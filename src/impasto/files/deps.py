"""What the files endpoints receive: the files services, and who is uploading or
reading: a storage token (``Bearer``) or an API key (``Key``).

fal-client fetches a short-lived storage token with its key and sends it as
``Authorization: Bearer <token>`` to the CDN endpoints. Tokens are signed by this server,
name the owner and the key that asked for them, and stop working when that key is revoked
or the token expires. A ``Key`` header is accepted in their place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from impasto.deps import DatabaseDep, Provided
from impasto.files.core import FilesCore
from impasto.files.service import FileService
from impasto.keys.auth import authenticate
from impasto.keys.deps import TENANT_LIMITER
from impasto.keys.repository import KeyRepository
from impasto.kit.egress.fetch import UrlFetcher
from impasto.kit.errors import RateLimited, Unauthenticated
from impasto.kit.ratelimit import RateLimiter
from impasto.models import KeyScope

FILES = Provided[FilesCore]("files")
URL_FETCHER = Provided[UrlFetcher]("url_fetcher")
FilesCoreDep = Annotated[FilesCore, Depends(FILES)]
UrlFetcherDep = Annotated[UrlFetcher, Depends(URL_FETCHER)]


async def _file_service(core: FilesCoreDep) -> FileService:
    return FileService(core)


Files = Annotated[FileService, Depends(_file_service)]


@dataclass(frozen=True, slots=True)
class StorageCaller:
    owner: str
    key_id: str


def storage_caller(
    request: Request,
    files: Files,
    database: DatabaseDep,
    limiter: Annotated[RateLimiter, Depends(TENANT_LIMITER)],
) -> StorageCaller | None:
    """The authenticated caller, or None without an Authorization header.

    A sync dependency on purpose: FastAPI runs it in the thread pool, where the key lookup
    may block.
    """
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() in ("key", "session"):
        principal = authenticate(request, header, KeyScope.API)
        return StorageCaller(owner=principal.owner, key_id=principal.key_id)
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthenticated("Send 'Authorization: Bearer <storage token>' or a Key")
    holder = files.read_token(value.strip())
    if holder is None:
        raise Unauthenticated("Invalid or expired storage token")
    with database.session(write=False) as session:
        key = KeyRepository(session).get_active(holder.key_id)
    if key is None or key.owner != holder.owner:
        raise Unauthenticated("Invalid or expired storage token")
    wait = limiter.acquire(holder.key_id)
    if wait > 0:
        raise RateLimited(
            "Rate limit exceeded", headers={"Retry-After": RateLimiter.retry_after_header(wait)}
        )
    return StorageCaller(owner=holder.owner, key_id=holder.key_id)


def _required(caller: Annotated[StorageCaller | None, Depends(storage_caller)]) -> StorageCaller:
    if caller is None:
        raise Unauthenticated("Missing credentials: send a storage token or an API key")
    return caller


OptionalStorageCaller = Annotated[StorageCaller | None, Depends(storage_caller)]
RequiredStorageCaller = Annotated[StorageCaller, Depends(_required)]
