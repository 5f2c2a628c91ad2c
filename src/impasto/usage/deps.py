"""What the usage endpoints receive."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from impasto.deps import ClockDep, CursorsDep, ReadSession
from impasto.usage.service import UsageService


async def _read_usage(session: ReadSession, clock: ClockDep, cursors: CursorsDep) -> UsageService:
    return UsageService(session, clock, cursors)


ReadUsage = Annotated[UsageService, Depends(_read_usage)]
