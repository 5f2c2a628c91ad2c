"""What the log endpoints receive."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from impasto.deps import ClockDep, CursorsDep, ReadSession
from impasto.logs.service import LogService


async def _read_logs(session: ReadSession, clock: ClockDep, cursors: CursorsDep) -> LogService:
    return LogService(session, clock, cursors)


ReadLogs = Annotated[LogService, Depends(_read_logs)]
