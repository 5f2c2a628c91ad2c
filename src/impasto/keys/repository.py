from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from impasto.models import Account, ApiKey, KeyScope

BOOTSTRAP_LOCK = 7317012346


class KeyRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def ensure_account(self, name: str, now: datetime) -> None:
        if self._session.get(Account, name) is None:
            self._session.add(Account(name=name, created_at=now))
            self._session.flush()

    def add(self, key: ApiKey) -> None:
        self._session.add(key)
        self._session.flush()

    def get(self, key_id: str) -> ApiKey | None:
        """The key whether revoked or not."""
        return self._session.get(ApiKey, key_id)

    def get_active(self, key_id: str) -> ApiKey | None:
        return self._session.scalar(
            select(ApiKey).where(ApiKey.key_id == key_id, ApiKey.revoked_at.is_(None))
        )

    def list_active(
        self,
        *,
        owner: str | None,
        scope: str | None,
        after: str | None,
        limit: int,
    ) -> list[ApiKey]:
        query = select(ApiKey).where(ApiKey.revoked_at.is_(None))
        if owner is not None:
            query = query.where(ApiKey.owner == owner)
        if scope is not None:
            query = query.where(ApiKey.scope == scope)
        if after is not None:
            query = query.where(ApiKey.key_id > after)
        return list(self._session.scalars(query.order_by(ApiKey.key_id).limit(limit)))

    def serialize_bootstrap(self) -> None:
        """Make concurrent first starts take turns (SQLite's BEGIN IMMEDIATE already does)."""
        if self._session.get_bind().dialect.name == "postgresql":
            self._session.execute(select(func.pg_advisory_xact_lock(BOOTSTRAP_LOCK)))

    def count_active_tenant_keys(self) -> int:
        """Active API and ADMIN keys (WORKER keys manage nothing)."""
        return (
            self._session.scalar(
                select(func.count())
                .select_from(ApiKey)
                .where(ApiKey.revoked_at.is_(None), ApiKey.scope != KeyScope.WORKER.value)
            )
            or 0
        )

    def revoke(self, key_id: str, *, owner: str | None, scope: str | None, now: datetime) -> bool:
        statement = update(ApiKey).where(ApiKey.key_id == key_id, ApiKey.revoked_at.is_(None))
        if owner is not None:
            statement = statement.where(ApiKey.owner == owner)
        if scope is not None:
            statement = statement.where(ApiKey.scope == scope)
        result = self._session.execute(statement.values(revoked_at=now))
        return bool(getattr(result, "rowcount", 0))
