"""Signing in with a key, looking a session up, signing out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from impasto.keys.service import KeyService, Principal
from impasto.kit.clock import Clock
from impasto.kit.errors import PermissionDenied, Unauthenticated
from impasto.kit.ids import IdGenerator
from impasto.models import KeyScope, StudioSession
from impasto.studio.repository import SessionRepository
from impasto.studio.tokens import is_secret, new_secret, session_hash

# A working day: long enough not to interrupt, short enough that a forgotten browser ends.
SESSION_LIFETIME = timedelta(hours=12)
ENDED = "Signed out or session expired: sign in again"


@dataclass(frozen=True, slots=True)
class OpenedSession:
    secret: str
    expires_at: datetime
    principal: Principal


class StudioSessions:
    def __init__(
        self,
        session: Session,
        clock: Clock,
        ids: IdGenerator,
        lifetime: timedelta = SESSION_LIFETIME,
    ) -> None:
        self._session = session
        self._repo = SessionRepository(session)
        self._clock = clock
        self._ids = ids
        self._lifetime = lifetime

    def sign_in(self, credential: str) -> OpenedSession:
        """A new session for a tenant key (API or ADMIN); a WORKER key serves workers only."""
        principal = KeyService(self._session, self._clock, self._ids).authenticate(credential)
        if principal.scope is KeyScope.WORKER:
            raise PermissionDenied("A WORKER key serves the worker API only")
        now = self._clock.now()
        self._repo.purge_expired(now)
        secret = new_secret()
        expires_at = now + self._lifetime
        self._repo.add(
            StudioSession(
                session_sha256=session_hash(secret),
                key_id=principal.key_id,
                created_at=now,
                expires_at=expires_at,
            )
        )
        return OpenedSession(secret=secret, expires_at=expires_at, principal=principal)

    def principal(self, secret: str) -> Principal:
        key = (
            self._repo.active_key(session_hash(secret), self._clock.now())
            if is_secret(secret)
            else None
        )
        if key is None:
            raise Unauthenticated(ENDED)
        return Principal(owner=key.owner, key_id=key.key_id, scope=KeyScope(key.scope))

    def sign_out(self, secret: str) -> None:
        if is_secret(secret):
            self._repo.remove(session_hash(secret))
