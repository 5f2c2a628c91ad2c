"""The SQL of installed models and their aliases."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from impasto.models import InstalledModel, ModelAlias


class WeightsRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, name: str) -> InstalledModel | None:
        return self._session.get(InstalledModel, name)

    def all(self) -> list[InstalledModel]:
        return list(self._session.scalars(select(InstalledModel).order_by(InstalledModel.name)))

    def save(self, model: InstalledModel) -> None:
        self._session.add(model)
        self._session.flush()

    def delete(self, model: InstalledModel) -> None:
        self._session.delete(model)
        self._session.flush()

    def sharing_repo(self, repo_id: str) -> list[InstalledModel]:
        query = select(InstalledModel).where(InstalledModel.repo_id == repo_id)
        return list(self._session.scalars(query))

    def alias(self, endpoint_id: str) -> ModelAlias | None:
        return self._session.get(ModelAlias, endpoint_id)

    def aliases(self, model_name: str | None = None) -> list[ModelAlias]:
        query = select(ModelAlias).order_by(ModelAlias.endpoint_id)
        if model_name is not None:
            query = query.where(ModelAlias.model_name == model_name)
        return list(self._session.scalars(query))

    def aliases_under(self, app_id: str) -> list[ModelAlias]:
        """The aliases one deployed app serves: ``fal-ai/flux`` -> ``fal-ai/flux``,
        ``fal-ai/flux/dev``, ``fal-ai/flux/dev/image-to-image``..."""
        query = select(ModelAlias).where(
            (ModelAlias.endpoint_id == app_id) | ModelAlias.endpoint_id.startswith(f"{app_id}/")
        )
        return list(self._session.scalars(query.order_by(ModelAlias.endpoint_id)))

    def save_alias(self, alias: ModelAlias) -> None:
        self._session.add(alias)
        self._session.flush()

    def delete_alias(self, alias: ModelAlias) -> None:
        self._session.delete(alias)
        self._session.flush()
