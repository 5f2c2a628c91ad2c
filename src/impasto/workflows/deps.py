"""What the workflow endpoints receive: the workflow service on the request's transaction."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from impasto.deps import ClockDep, IdsDep, ReadSession, SettingsDep, WriteSession
from impasto.workflows.service import WorkflowService


async def _read_workflows(
    session: ReadSession, clock: ClockDep, ids: IdsDep, settings: SettingsDep
) -> WorkflowService:
    return WorkflowService(session, clock, ids, operator=settings.bootstrap_owner)


async def _write_workflows(
    session: WriteSession, clock: ClockDep, ids: IdsDep, settings: SettingsDep
) -> WorkflowService:
    return WorkflowService(session, clock, ids, operator=settings.bootstrap_owner)


ReadWorkflows = Annotated[WorkflowService, Depends(_read_workflows)]
WriteWorkflows = Annotated[WorkflowService, Depends(_write_workflows)]
