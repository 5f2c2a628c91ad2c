from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from impasto.models import ApiKey, StudioSession


class SessionRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, row: StudioSession) -> None:
        self._session.add(row)
        self._session.flush()

    def active_key(self, digest: str, now: datetime) -> ApiKey | None:
        """The unrevoked key behind an unexpired session, in one read."""
        return self._session.scalar(
            select(ApiKey)
            .join(StudioSession, StudioSession.key_id == ApiKey.key_id)
            .where(
                StudioSession.session_sha256 == digest,
                StudioSession.expires_at > now,
                ApiKey.revoked_at.is_(None),
            )
        )

    def remove(self, digest: str) -> None:
        self._session.execute(delete(StudioSession).where(StudioSession.session_sha256 == digest))

    def purge_expired(self, now: datetime) -> None:
        self._session.execute(delete(StudioSession).where(StudioSession.expires_at <= now))
