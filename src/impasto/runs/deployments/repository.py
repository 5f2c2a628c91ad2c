"""SQL for deployed apps. Flushes, never commits."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from impasto.models import DeployedApp


class DeploymentRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, app_id: str) -> DeployedApp | None:
        return self._session.get(DeployedApp, app_id)

    def all(self) -> list[DeployedApp]:
        return list(self._session.scalars(select(DeployedApp).order_by(DeployedApp.app_id)))

    def existing(self, app_ids: Iterable[str]) -> set[str]:
        query = select(DeployedApp.app_id).where(DeployedApp.app_id.in_(list(app_ids)))
        return set(self._session.scalars(query))

    def save(self, app: DeployedApp) -> None:
        self._session.add(app)
        self._session.flush()

    def delete(self, app: DeployedApp) -> None:
        self._session.delete(app)
        self._session.flush()
