"""The rules over installed models and aliases, inside one transaction: what may be
recorded, listed, removed and served where. Files are the manager's business."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from impasto.apps.diffusion.routes import DIFFUSION_APP, TASK_PATHS
from impasto.kit.clock import Clock
from impasto.kit.errors import Conflict, InvalidRequest, NotFound
from impasto.models import InstalledModel, ModelAlias
from impasto.runs.deployments.repository import DeploymentRepository
from impasto.weights.aliases import deploy_aliases, split_endpoint_id
from impasto.weights.errors import ModelInUse, ModelNotFound
from impasto.weights.repository import WeightsRepository

# What each task needs of a model's family: an upscaler pipeline only upscales.
GENERATORS = frozenset({"sd15", "sdxl", "sd3", "flux"})
DEVICE_PATTERN = re.compile(r"auto|cpu|mps|cuda(:[0-9]{1,2})?")


@dataclass(frozen=True)
class ModelView:
    model: InstalledModel
    aliases: tuple[ModelAlias, ...]


class WeightsService:
    def __init__(self, session: Session, clock: Clock, *, operator: str) -> None:
        self._session = session
        self._repo = WeightsRepository(session)
        self._clock = clock
        self._operator = operator

    def record(self, model: InstalledModel) -> InstalledModel:
        """Record a complete, verified install; an existing one of that name is replaced."""
        found = self._repo.get(model.name)
        model.created_at = self._clock.now()
        if found is None:
            self._repo.save(model)
            return model
        for column in [column.key for column in InstalledModel.__table__.columns]:
            setattr(found, column, getattr(model, column))
        self._repo.save(found)
        for alias in self._repo.aliases(found.name):  # they may now point elsewhere on disk
            owner, app, _ = split_endpoint_id(alias.endpoint_id)
            deploy_aliases(self._session, self._clock, self._operator, owner, app)
        return found

    def get(self, name: str) -> InstalledModel:
        model = self._repo.get(name)
        if model is None:
            raise ModelNotFound(f"model {name} is not installed (see `impasto models list`)")
        return model

    def list(self) -> list[ModelView]:
        aliases: dict[str, list[ModelAlias]] = {}
        for alias in self._repo.aliases():
            aliases.setdefault(alias.model_name, []).append(alias)
        return [ModelView(model, tuple(aliases.get(model.name, ()))) for model in self._repo.all()]

    def remove(self, name: str) -> tuple[InstalledModel, bool]:
        """Forget a model; refused while an alias serves it. Returns the row and whether its
        files may be deleted (ours, and no other installed model shares them)."""
        model = self.get(name)
        serving = self._repo.aliases(name)
        if serving:
            ids = ", ".join(alias.endpoint_id for alias in serving)
            raise ModelInUse(
                f"model {name} is in use by {ids}; remove those aliases first "
                "(`impasto models alias --remove ENDPOINT_ID`)"
            )
        shared = model.repo_id is not None and any(
            other.name != name for other in self._repo.sharing_repo(model.repo_id)
        )
        self._repo.delete(model)
        return model, model.owned and not shared

    def add_alias(
        self, endpoint_id: str, model_name: str, task: str, device: str | None = None
    ) -> ModelAlias:
        if task not in TASK_PATHS:
            raise InvalidRequest(f"task {task!r}: one of {', '.join(TASK_PATHS)}")
        if device is not None and not DEVICE_PATTERN.fullmatch(device):
            raise InvalidRequest(f"device {device!r}: use auto, cpu, mps, cuda or cuda:N")
        owner, app, path = split_endpoint_id(endpoint_id)
        endpoint_id = f"{owner}/{app}" if path == "/" else f"{owner}/{app}{path}"
        model = self.get(model_name)
        wanted = "upscaler" if task == "upscale" else "generator"
        kind = "upscaler" if model.family == "upscaler" else "generator"
        if kind != wanted or (kind == "generator" and model.family not in GENERATORS):
            raise InvalidRequest(f"model {model_name} ({model.family}) cannot serve {task}")
        if owner == self._operator_namespace():
            raise Conflict(f"alias {endpoint_id}: the impasto namespace holds the built-in apps")
        deployed = DeploymentRepository(self._session).get(f"{owner}/{app}")
        if deployed is not None and deployed.import_path != DIFFUSION_APP:
            raise Conflict(f"alias {endpoint_id}: {owner}/{app} is an app deployed otherwise")
        alias = self._repo.alias(endpoint_id)
        if alias is None:
            alias = ModelAlias(endpoint_id=endpoint_id, created_at=self._clock.now())
        alias.model_name = model.name
        alias.task = task
        alias.device = None if device in (None, "auto") else device
        self._repo.save_alias(alias)
        deploy_aliases(self._session, self._clock, self._operator, owner, app)
        return alias

    def remove_alias(self, endpoint_id: str) -> None:
        owner, app, path = split_endpoint_id(endpoint_id)
        endpoint_id = f"{owner}/{app}" if path == "/" else f"{owner}/{app}{path}"
        alias = self._repo.alias(endpoint_id)
        if alias is None:
            raise NotFound(f"no alias {endpoint_id}")
        self._repo.delete_alias(alias)
        deploy_aliases(self._session, self._clock, self._operator, owner, app)

    @staticmethod
    def _operator_namespace() -> str:
        from impasto.apps import BUILTIN_OWNER

        return BUILTIN_OWNER
