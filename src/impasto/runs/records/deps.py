"""What the request-record and app-queue endpoints receive."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from impasto.deps import ClockDep, CursorsDep, ReadSession, WriteSession
from impasto.runs.queue.deps import Runs
from impasto.runs.records.queues import AppQueueService
from impasto.runs.records.service import RecordService


async def _read_records(
    session: ReadSession, clock: ClockDep, cursors: CursorsDep
) -> RecordService:
    return RecordService(session, clock, cursors)


async def _read_app_queues(session: ReadSession, runs: Runs) -> AppQueueService:
    return AppQueueService(session, runs)


async def _write_app_queues(session: WriteSession, runs: Runs) -> AppQueueService:
    return AppQueueService(session, runs)


ReadRecords = Annotated[RecordService, Depends(_read_records)]
ReadAppQueues = Annotated[AppQueueService, Depends(_read_app_queues)]
WriteAppQueues = Annotated[AppQueueService, Depends(_write_app_queues)]
