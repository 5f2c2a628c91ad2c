"""What the assets endpoints share: the caller's base URL, search legs, idempotent answers,
and a refusal of text no database can store in any path or query parameter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from anyio import from_thread
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from impasto.assets.idempotency import Answer, once
from impasto.assets.search.ann import IndexedVectorLeg
from impasto.assets.search.exact import ExactVectorLeg
from impasto.assets.search.keyword import KeywordLeg
from impasto.assets.search.legs import SearchLeg
from impasto.container import Container
from impasto.files.cdn.responses import base_url
from impasto.keys.auth import ApiPrincipal
from impasto.kit.errors import NotFound
from impasto.kit.text import is_storable


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


def base(request: Request, container: Container) -> str:
    return base_url(request, container.settings.public_url)


def search_legs(container: Container) -> list[SearchLeg]:
    legs: list[SearchLeg] = [KeywordLeg()]
    indexed = {vectors.space: vectors for vectors in container.asset_vectors}
    for embedder in container.asset_embedders:
        vectors = indexed.get(embedder.space)
        legs.append(IndexedVectorLeg(vectors) if vectors else ExactVectorLeg(embedder))
    return legs


def blob_reader(container: Container) -> Callable[[str, int], bytes]:
    """Read a blob from a sync endpoint's worker thread (the store is async)."""

    def read(key: str, size: int) -> bytes:
        async def collect() -> bytes:
            parts = [chunk async for chunk in container.object_store.read(key, 0, size)]
            return b"".join(parts)

        return from_thread.run(collect)

    return read


def answer(
    session: Session,
    container: Container,
    *,
    owner: str,
    key: str | None,
    operation: str,
    request: Any,
    status_code: int,
    produce: Callable[[], BaseModel | None],
) -> Response:
    """Run ``produce`` once per Idempotency-Key and render its (possibly stored) answer."""

    def run() -> Answer:
        result = produce()
        return Answer(status_code, result.model_dump(mode="json") if result else None)

    done = once(
        session,
        container.clock,
        owner=owner,
        key=key,
        operation=operation,
        request=request,
        produce=run,
    )
    if done.body is None:
        return Response(status_code=done.status_code)
    return JSONResponse(done.body, status_code=done.status_code)
