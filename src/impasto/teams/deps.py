"""What the organization endpoints receive."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from impasto.deps import ClockDep, ReadSession
from impasto.teams.service import TeamService


async def _read_teams(session: ReadSession, clock: ClockDep) -> TeamService:
    return TeamService(session, clock)


ReadTeams = Annotated[TeamService, Depends(_read_teams)]
