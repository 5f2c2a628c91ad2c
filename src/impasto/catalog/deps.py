"""What the catalog endpoints (and the Scenario façade over them) receive."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from impasto.catalog.service import CatalogService
from impasto.config import Settings
from impasto.deps import ClockDep, CursorsDep, DatabaseDep, ReadSession, SettingsDep, WriteSession
from impasto.kit.clock import Clock
from impasto.kit.cursors import Cursors
from impasto.kit.db import Database


def _service(session: Session, clock: Clock, settings: Settings) -> CatalogService:
    # The operator's owner (IMPASTO_BOOTSTRAP_OWNER) manages every entry.
    return CatalogService(session, clock, operator=settings.bootstrap_owner)


async def _read_catalog(
    session: ReadSession, clock: ClockDep, settings: SettingsDep
) -> CatalogService:
    return _service(session, clock, settings)


async def _write_catalog(
    session: WriteSession, clock: ClockDep, settings: SettingsDep
) -> CatalogService:
    return _service(session, clock, settings)


@dataclass(frozen=True, slots=True)
class CatalogReads:
    """Read transactions over the catalog for an endpoint that opens its own: the model
    search runs key check, transaction and search in one worker thread."""

    database: Database
    clock: Clock
    settings: Settings
    cursors: Cursors

    @contextmanager
    def open(self) -> Iterator[CatalogService]:
        with self.database.session(write=False) as session:
            yield _service(session, self.clock, self.settings)


async def _catalog_reads(
    database: DatabaseDep, clock: ClockDep, settings: SettingsDep, cursors: CursorsDep
) -> CatalogReads:
    return CatalogReads(database, clock, settings, cursors)


ReadCatalog = Annotated[CatalogService, Depends(_read_catalog)]
WriteCatalog = Annotated[CatalogService, Depends(_write_catalog)]
CatalogReadsDep = Annotated[CatalogReads, Depends(_catalog_reads)]
