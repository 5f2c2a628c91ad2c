"""What the studio's routes receive: sessions on the request's transaction, and who is
signed in (or nobody) for the pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from impasto.deps import ClockDep, IdsDep, WriteSession
from impasto.keys.deps import SESSIONS
from impasto.keys.service import Principal
from impasto.kit.errors import Unauthenticated
from impasto.studio.cookies import session_secret
from impasto.studio.service import StudioSessions


async def _write_sessions(session: WriteSession, clock: ClockDep, ids: IdsDep) -> StudioSessions:
    return StudioSessions(session, clock, ids)


def _signed_in(request: Request) -> Principal | None:
    # Sync on purpose: FastAPI runs it in the thread pool, where the lookup may block.
    secret = session_secret(request)
    if secret is None:
        return None
    try:
        return SESSIONS.get(request).principal(secret)
    except Unauthenticated:
        return None


WriteStudioSessions = Annotated[StudioSessions, Depends(_write_sessions)]
SignedIn = Annotated[Principal | None, Depends(_signed_in)]
