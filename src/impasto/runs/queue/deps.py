"""What the queue's endpoints (and the run surfaces built on it) receive."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from impasto.deps import DatabaseDep, Provided, WriteSession
from impasto.runs.queue.service import RunDeps, RunService
from impasto.runs.queue.watch import Watcher

RUNS = Provided[RunDeps]("runs")
Runs = Annotated[RunDeps, Depends(RUNS)]


async def _write_runs(session: WriteSession, runs: Runs) -> RunService:
    return RunService(session, runs)


async def _watcher(database: DatabaseDep, runs: Runs) -> Watcher:
    return Watcher(database, runs)


WriteRuns = Annotated[RunService, Depends(_write_runs)]
# Runs requests in transactions of its own and waits on them (sync runs, status streams).
Watch = Annotated[Watcher, Depends(_watcher)]
