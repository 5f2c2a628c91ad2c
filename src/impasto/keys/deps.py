"""What the keys endpoints and every key check receive: the key service and rate limits."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends

from impasto.deps import ClockDep, IdsDep, Provided, ReadSession, WriteSession
from impasto.keys.service import KeyService, Principal
from impasto.kit.ratelimit import RateLimiter

# Tenant keys spend from one bucket, the operator's WORKER keys from their own (auth.py).
TENANT_LIMITER = Provided[RateLimiter]("rate_limiter")
WORKER_LIMITER = Provided[RateLimiter]("worker_rate_limiter")


class SessionCredentials(Protocol):
    """The studio's signed-in browsers (``Authorization: Session <secret>``)."""

    def principal(self, secret: str) -> Principal:
        """Who the session acts for; ``Unauthenticated`` when expired, ended or revoked."""
        ...


SESSIONS = Provided[SessionCredentials]("studio_sessions")


async def _read_keys(session: ReadSession, clock: ClockDep, ids: IdsDep) -> KeyService:
    return KeyService(session, clock, ids)


async def _write_keys(session: WriteSession, clock: ClockDep, ids: IdsDep) -> KeyService:
    return KeyService(session, clock, ids)


ReadKeys = Annotated[KeyService, Depends(_read_keys)]
WriteKeys = Annotated[KeyService, Depends(_write_keys)]
