"""What the collections and characters endpoints receive (with ``assets/deps.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from impasto.assets.collections.service import CollectionService
from impasto.deps import ClockDep, IdsDep, ReadSession, WriteSession


async def _read_collections(
    session: ReadSession, clock: ClockDep, ids: IdsDep
) -> CollectionService:
    return CollectionService(session, clock, ids)


async def _write_collections(
    session: WriteSession, clock: ClockDep, ids: IdsDep
) -> CollectionService:
    return CollectionService(session, clock, ids)


ReadCollections = Annotated[CollectionService, Depends(_read_collections)]
WriteCollections = Annotated[CollectionService, Depends(_write_collections)]
