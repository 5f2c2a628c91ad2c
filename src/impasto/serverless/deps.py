"""What the Serverless endpoints receive: the service on the request's read transaction."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from impasto.deps import ClockDep, IdsDep, ReadSession, SettingsDep
from impasto.serverless.service import ServerlessService


async def _read(
    session: ReadSession, clock: ClockDep, ids: IdsDep, settings: SettingsDep
) -> ServerlessService:
    return ServerlessService(session, clock, ids, operator=settings.bootstrap_owner)


ReadServerless = Annotated[ServerlessService, Depends(_read)]
