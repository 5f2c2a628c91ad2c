"""What the ``/v1/apps`` endpoints receive: the revision service on the request's
transaction."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from impasto.deps import ClockDep, IdsDep, ReadSession, SettingsDep, WriteSession
from impasto.runs.deployments.revisions import RevisionService


async def _read_revisions(
    session: ReadSession, clock: ClockDep, ids: IdsDep, settings: SettingsDep
) -> RevisionService:
    return RevisionService(session, clock, ids, operator=settings.bootstrap_owner)


async def _write_revisions(
    session: WriteSession, clock: ClockDep, ids: IdsDep, settings: SettingsDep
) -> RevisionService:
    return RevisionService(session, clock, ids, operator=settings.bootstrap_owner)


ReadRevisions = Annotated[RevisionService, Depends(_read_revisions)]
WriteRevisions = Annotated[RevisionService, Depends(_write_revisions)]
