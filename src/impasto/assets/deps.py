"""What the assets endpoints receive: their services, search, idempotent answers, and a
refusal of text no database can store in any path or query parameter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from anyio import from_thread
from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from impasto.assets.idempotency import Answer, once
from impasto.assets.params import AssetBrowser
from impasto.assets.search.ann import AssetVectors, IndexedVectorLeg
from impasto.assets.search.exact import ExactVectorLeg
from impasto.assets.search.keyword import KeywordLeg
from impasto.assets.search.legs import SearchLeg
from impasto.assets.search.urls import BlobReader
from impasto.assets.service import AssetService
from impasto.deps import (
    BaseUrl,
    ClockDep,
    CursorsDep,
    IdsDep,
    OwnBases,
    Provided,
    ReadSession,
    WriteSession,
)
from impasto.embedders.base import Embedder
from impasto.keys.auth import ApiPrincipal
from impasto.kit.clock import Clock
from impasto.kit.errors import NotFound
from impasto.kit.text import is_storable
from impasto.storage import ObjectStore

OBJECT_STORE = Provided[ObjectStore]("object_store")
# The embedders the library is indexed with, and one vector index per embedder's space.
ASSET_EMBEDDERS = Provided[list[Embedder]]("asset_embedders")
ASSET_VECTORS = Provided[list[AssetVectors]]("asset_vectors")
AssetEmbedders = Annotated[list[Embedder], Depends(ASSET_EMBEDDERS)]


def storable_params(request: Request, _: ApiPrincipal) -> None:
    """Router dependency: PostgreSQL cannot store NUL, nothing can encode a lone surrogate.

    The caller is authenticated first (the dependency is shared with the endpoint's, so it
    runs once): a request without a key gets 401 whatever its parameters hold."""
    check_storable(request)


def check_storable(request: Request) -> None:
    """404 when a path or query parameter holds text no database can store."""
    # No stored id or name can contain such text: whatever it names does not exist. ``q`` is
    # only ever tokenized, so it may carry anything.
    values = [*request.path_params.values()]
    values += [v for k, v in request.query_params.multi_items() if k != "q"]
    if not all(is_storable(str(v)) for v in values):
        raise NotFound("Not found: no asset, tag, collection or character has that id")


# -- services -----------------------------------------------------------------------------


async def _read_assets(session: ReadSession, clock: ClockDep, ids: IdsDep) -> AssetService:
    return AssetService(session, clock, ids)


async def _write_assets(session: WriteSession, clock: ClockDep, ids: IdsDep) -> AssetService:
    return AssetService(session, clock, ids)


ReadAssets = Annotated[AssetService, Depends(_read_assets)]
WriteAssets = Annotated[AssetService, Depends(_write_assets)]


# -- search -------------------------------------------------------------------------------


async def _search_legs(
    embedders: AssetEmbedders,
    spaces: Annotated[list[AssetVectors], Depends(ASSET_VECTORS)],
) -> list[SearchLeg]:
    legs: list[SearchLeg] = [KeywordLeg()]
    indexed = {vectors.space: vectors for vectors in spaces}
    for embedder in embedders:
        vectors = indexed.get(embedder.space)
        legs.append(IndexedVectorLeg(vectors) if vectors else ExactVectorLeg(embedder))
    return legs


async def _blob_reader(store: Annotated[ObjectStore, Depends(OBJECT_STORE)]) -> BlobReader:
    """Read a blob from a sync endpoint's worker thread (the store is async)."""

    def read(key: str, size: int) -> bytes:
        async def collect() -> bytes:
            parts = [chunk async for chunk in store.read(key, 0, size)]
            return b"".join(parts)

        return from_thread.run(collect)

    return read


SearchLegs = Annotated[list[SearchLeg], Depends(_search_legs)]
BlobReaderDep = Annotated[BlobReader, Depends(_blob_reader)]


async def _browser(
    session: ReadSession,
    clock: ClockDep,
    ids: IdsDep,
    legs: SearchLegs,
    bases: OwnBases,
    base: BaseUrl,
    read_blob: BlobReaderDep,
    cursors: CursorsDep,
) -> AssetBrowser:
    service = AssetService(session, clock, ids, legs)
    return AssetBrowser(service, session, bases, base, read_blob, cursors)


Browser = Annotated[AssetBrowser, Depends(_browser)]


# -- idempotent answers -------------------------------------------------------------------

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Optional idempotency key for safe retries"),
]


@dataclass(frozen=True, slots=True)
class Idempotent:
    """One mutating call's answer, given once per ``Idempotency-Key`` (idempotency.py):
    stored in the call's own write transaction, replayed to a retry of the same request."""

    session: Session
    clock: Clock
    owner: str
    key: str | None

    def answer(
        self,
        operation: str,
        *,
        request: Any,
        status_code: int,
        produce: Callable[[], BaseModel | None],
    ) -> Response:
        """Run ``produce`` unless this key already answered; render the (stored) answer."""

        def run() -> Answer:
            result = produce()
            return Answer(status_code, result.model_dump(mode="json") if result else None)

        done = once(
            self.session,
            self.clock,
            owner=self.owner,
            key=self.key,
            operation=operation,
            request=request,
            produce=run,
        )
        if done.body is None:
            return Response(status_code=done.status_code)
        return JSONResponse(done.body, status_code=done.status_code)


async def _idempotent(
    principal: ApiPrincipal,
    session: WriteSession,
    clock: ClockDep,
    key: IdempotencyKey = None,
) -> Idempotent:
    return Idempotent(session, clock, principal.owner, key)


IdempotentAnswer = Annotated[Idempotent, Depends(_idempotent)]
